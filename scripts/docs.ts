import { ErrorCodes } from '../protocol/errors.js';
import { INVENTORY, type LimitSpec } from '../src/limits/inventory.js';

/**
 * The generated parts of README.md: the error table and the limits table, kept between
 * marker comments. `npm run docs` rewrites them; test/errors.test.ts fails when stale.
 */
export function errorTable(): string {
  const rows = Object.entries(ErrorCodes).map(([code, e]) => `| \`${code}\` | ${e.rpc} | ${e.summary} |`);
  return ['| code | JSON-RPC code | meaning |', '|---|---|---|', ...rows].join('\n');
}

export function limitsTable(): string {
  const rows = (Object.entries(INVENTORY) as Array<[string, LimitSpec]>).map(
    ([, s]) => `| \`${s.env}\` | ${s.default} ${s.unit} | ${s.scope} | ${s.vmOverride ? `\`${s.vmOverride}\`` : ''} | ${s.why} |`,
  );
  return ['| variable | default | scope | per-VM field | why |', '|---|---|---|---|---|', ...rows].join('\n');
}

export function replaceSection(text: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to === -1) throw new Error(`README.md lacks the ${start} … ${end} markers`);
  return `${text.slice(0, from + start.length)}\n${body}\n${text.slice(to)}`;
}

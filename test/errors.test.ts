import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCodes } from '../protocol/errors.js';
import { buildSchema } from '../protocol/schema.js';
import { errorTable, limitsTable, replaceSection } from '../scripts/docs.js';

// The reserved codes JSON-RPC 2.0 and LSP give a meaning, and the one string code each stands for.
const RESERVED: Record<number, string> = {
  [-32700]: 'ERR_AGENTOS_PARSE_ERROR',
  [-32600]: 'ERR_AGENTOS_INVALID_REQUEST',
  [-32601]: 'ERR_AGENTOS_METHOD_NOT_FOUND',
  [-32602]: 'ERR_AGENTOS_INVALID_PARAMS',
  [-32603]: 'ERR_AGENTOS_INTERNAL',
  [-32002]: 'ERR_AGENTOS_NOT_INITIALIZED',
  [-32800]: 'ERR_AGENTOS_CANCELLED',
};

// Our codes that name a particular kind of a reserved code's meaning: an invalid request
// that is a frame too large to read, or a request reusing an id in flight.
const REFINES: Record<string, string> = {
  ERR_AGENTOS_FRAME_TOO_LARGE: 'ERR_AGENTOS_INVALID_REQUEST',
  ERR_AGENTOS_DUPLICATE_REQUEST_ID: 'ERR_AGENTOS_INVALID_REQUEST',
};

test('error codes are unique; a JSON-RPC or LSP code only for its own meaning, every other a positive one outside the reserved range', () => {
  const numbers = Object.entries(ErrorCodes).filter(([code]) => !REFINES[code]).map(([, e]) => e.rpc);
  assert.is(new Set(numbers).size, numbers.length);
  for (const [code, e] of Object.entries(ErrorCodes)) {
    if (REFINES[code]) assert.is(e.rpc, ErrorCodes[REFINES[code] as keyof typeof ErrorCodes].rpc, code);
    else if (e.rpc < 0) assert.is(RESERVED[e.rpc], code, `${code} uses ${e.rpc}, which JSON-RPC or LSP gives another meaning`);
    else assert.ok(e.rpc > 0 && e.rpc < 32000, `${code}: ${e.rpc}`);
  }
  for (const [rpc, code] of Object.entries(RESERVED)) assert.is(ErrorCodes[code as keyof typeof ErrorCodes].rpc, Number(rpc), code);
  for (const code of Object.keys(ErrorCodes)) assert.match(code, /^ERR_AGENTOS_[A-Z_]+$/);
});

test('the README tables of errors and limits are current (npm run docs)', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  assert.is(replaceSection(readme, 'errors', errorTable()), readme);
  assert.is(replaceSection(readme, 'limits', limitsTable()), readme);
  const rows = [...readme.matchAll(/^\| `(ERR_AGENTOS_[A-Z_]+)` \| (-?\d+) \|/gm)].map((m) => [m[1], Number(m[2])]);
  assert.equal(rows, Object.entries(ErrorCodes).map(([code, e]) => [code, e.rpc]));
});

test('protocol/schema.json is up to date (npm run docs)', () => {
  const committed = JSON.parse(readFileSync(new URL('../protocol/schema.json', import.meta.url), 'utf8'));
  assert.equal(committed, JSON.parse(JSON.stringify(buildSchema())));
});

test.run();

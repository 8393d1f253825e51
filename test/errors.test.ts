import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCodes } from '../protocol/errors.js';
import { buildSchema } from '../protocol/schema.js';
import { errorTable, limitsTable, replaceSection } from '../scripts/docs.js';

test('error codes are unique and outside the JSON-RPC reserved range', () => {
  const numbers = Object.values(ErrorCodes).map((e) => e.rpc);
  assert.is(new Set(numbers).size, numbers.length);
  for (const n of numbers) assert.ok(n > 0 || n < -32768, String(n));
  for (const code of Object.keys(ErrorCodes)) assert.match(code, /^ERR_AGENTOS_[A-Z_]+$/);
});

test('the README tables of errors and limits are current (npm run docs)', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  assert.is(replaceSection(readme, 'errors', errorTable()), readme);
  assert.is(replaceSection(readme, 'limits', limitsTable()), readme);
  const rows = [...readme.matchAll(/^\| `(ERR_AGENTOS_[A-Z_]+)` \| (\d+) \|/gm)].map((m) => [m[1], Number(m[2])]);
  assert.equal(rows, Object.entries(ErrorCodes).map(([code, e]) => [code, e.rpc]));
});

test('protocol/schema.json is up to date (npm run docs)', () => {
  const committed = JSON.parse(readFileSync(new URL('../protocol/schema.json', import.meta.url), 'utf8'));
  assert.equal(committed, JSON.parse(JSON.stringify(buildSchema())));
});

test.run();

// Writes protocol/schema.json: every method's params and result as JSON Schema, for hosts
// written in other languages to generate bindings from. `npm run schema` after a change
// to protocol/; test/schema.test.ts fails when the file is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema } from '../protocol/schema.js';

const target = fileURLToPath(new URL('../../protocol/schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(buildSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);

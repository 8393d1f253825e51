// Regenerates protocol/schema.json and the README's error and limits tables.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema } from '../protocol/schema.js';
import { errorTable, limitsTable, replaceSection } from './docs.js';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
writeFileSync(root('protocol/schema.json'), `${JSON.stringify(buildSchema(), null, 2)}\n`);
let readme = readFileSync(root('README.md'), 'utf8');
readme = replaceSection(readme, 'errors', errorTable());
readme = replaceSection(readme, 'limits', limitsTable());
writeFileSync(root('README.md'), readme);
console.log('wrote protocol/schema.json and the README tables');

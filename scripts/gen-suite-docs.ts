/** Write the key reference of docs/suites.md from the suite JSON Schema: `npx tsx scripts/gen-suite-docs.ts`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { schemaReference } from '../sim/suite/schema-doc.js';

export const BEGIN = '<!-- generated from sim/suite/schema.ts by scripts/gen-suite-docs.ts: do not edit -->';
export const END = '<!-- end of generated reference -->';

export function withReference(doc: string): string {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/suites.md has no ${BEGIN} ... ${END} section`);
  return `${doc.slice(0, start + BEGIN.length)}\n\n${schemaReference()}\n${doc.slice(end)}`;
}

if (process.argv[1]?.endsWith('gen-suite-docs.ts')) {
  const path = 'docs/suites.md';
  writeFileSync(path, withReference(readFileSync(path, 'utf8')));
}

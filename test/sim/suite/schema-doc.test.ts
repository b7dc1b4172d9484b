/** docs/suites.md's key reference is the one the schema writes (scripts/gen-suite-docs.ts), so the docs match the loader. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withReference } from '../../../scripts/gen-suite-docs.js';
import { SUITE_SCHEMA } from '../../../sim/suite/schema.js';
import { COUNTED_VERDICTS } from '../../../sim/suite/types.js';

describe('docs/suites.md', () => {
  const doc = readFileSync('docs/suites.md', 'utf8');
  it('holds the reference generated from the schema (run npx tsx scripts/gen-suite-docs.ts)', () => {
    expect(doc).toBe(withReference(doc));
  });
  it('names every expectation key the schema accepts', () => {
    const keys = Object.keys(SUITE_SCHEMA.properties.cases.items.properties.expect.properties);
    expect(keys).toEqual(['reset_method', 'reset_works', 'reset_function_method', 'load', ...COUNTED_VERDICTS, 'fields', 'freeze', 'freeze_gates', 'on']);
    for (const k of keys) expect(doc).toContain(`| \`${k}\``);
  });
});

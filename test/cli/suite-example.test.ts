/**
 * examples/fleet.yaml on the model (test/e2e/suite-qemu.test.ts runs it with --qemu): every test
 * passes on the profiles of Debian's three series, and the JUnit has one testsuite per kernel.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { runLusim } from './in-process.js';

describe('examples/fleet.yaml on the model', () => {
  it('passes: 16 tests on 6.1.y, 6.12.y and 7.2, exit 0', async () => {
    const junit = join(mkdtempSync(join(tmpdir(), 'lusim-example-')), 'junit.xml');
    const r = await runLusim(['suite', 'run', 'examples/fleet.yaml', '--junit', junit]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/16 tests: 16 passed, 0 failed, 0 errors \(model\)/);
    const suites = new XMLParser({ ignoreAttributes: false, isArray: (n) => n === 'testsuite' }).parse(readFileSync(junit, 'utf8')).testsuites.testsuite as { '@_name': string }[];
    expect(suites.map((s) => s['@_name'])).toEqual(['kernel 6.1.y', 'kernel 6.12.y', 'kernel 7.2']);
  }, 60_000);
});

/**
 * Every suite that boots a guest is in BOOTING, so vitest runs it alone after the hermetic group
 * (vitest.config.ts). Regression: test/e2e/topology-trace.test.ts (two 10-function boots) first
 * ran in the hermetic group, beside other suites on the 2-core machine.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BOOTING } from './booting-suites.js';

const BOOTS = /\b(runRealCycle|runFidelityPair|runRealSuite|runFuzz|bootGuest)\(/;

describe('test/booting-suites.ts', () => {
  it('lists every e2e suite that starts a real cycle, a fidelity pair or a guest', () => {
    const booting = readdirSync('test/e2e').filter((f) => f.endsWith('.test.ts')).map((f) => `test/e2e/${f}`).filter((f) => BOOTS.test(readFileSync(f, 'utf8')));
    expect(booting.length).toBeGreaterThan(5);
    expect(booting.filter((f) => !BOOTING.includes(f))).toEqual([]);
  });
});

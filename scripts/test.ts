/**
 * The README's test command (`npm test`, after `npm ci`): set up what the real-run tests need,
 * run every suite (unit, property, QEMU end-to-end), and print `N passed, N failed`.
 *
 * Set-up is idempotent: Debian packages are installed only if missing (scripts/setup-system.sh),
 * kernels are fetched into the cache only if absent.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOTING } from '../test/booting-suites.js';

/** Wall time of each phase, printed at the end (the suite must stay well inside CI's 90 minutes). */
const phases: { what: string; s: number }[] = [];

function run(cmd: string, args: string[], what: string): void {
  console.error(`[lusim test] ${what}: ${cmd} ${args.join(' ')}`);
  const t0 = performance.now();
  const res = spawnSync(cmd, args, { stdio: 'inherit' });
  phases.push({ what, s: (performance.now() - t0) / 1000 });
  if (res.status !== 0) {
    console.error(`[lusim test] ${what} failed (exit ${res.status ?? res.signal}).`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

run('sh', ['scripts/setup-system.sh'], 'system packages');
run('npx', ['tsx', 'cli/main.ts', 'kernels', 'fetch', '--for-tests', '--module'], 'kernel images and guest modules');
run('npx', ['tsx', 'cli/main.ts', 'kernels', 'build-luo'], 'LUO kernel (Debian linux-source-7.3, built once into the cache)');
run('npx', ['tsx', 'cli/main.ts', 'corpus', 'fetch'], 'real-hardware dumps (pciutils tests/)');

const dir = mkdtempSync(join(tmpdir(), 'lusim-test-'));
const out = join(dir, 'vitest.json');
const extra = process.argv.slice(2);
const t0 = performance.now();
const res = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...extra], { stdio: 'inherit' });
phases.push({ what: 'vitest (hermetic, then booting)', s: (performance.now() - t0) / 1000 });
let passed = 0;
let failed = 0;
try {
  const report = JSON.parse(readFileSync(out, 'utf8')) as { numPassedTests: number; numFailedTests: number; numFailedTestSuites: number; testResults: { name: string; status: string; startTime: number; endTime: number; assertionResults: unknown[] }[] };
  // The booting files run one at a time after the hermetic group: their summed time is that phase's.
  const booting = report.testResults.filter((r) => r.name.includes('/test/e2e/') && BOOTING.some((b) => r.name.endsWith(b)));
  phases.push({ what: '  of which booting suites', s: booting.reduce((n, r) => n + (r.endTime - r.startTime), 0) / 1000 });
  passed = report.numPassedTests;
  // A suite that fails to load has no test results: count it as one failure so it is never silent.
  const brokenSuites = report.testResults.filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length;
  failed = report.numFailedTests + brokenSuites;
} catch {
  failed = 1;
}
rmSync(dir, { recursive: true, force: true });
for (const p of phases) console.error(`[lusim test] phase ${p.what}: ${p.s.toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(res.status === 0 && failed === 0 ? 0 : 1);

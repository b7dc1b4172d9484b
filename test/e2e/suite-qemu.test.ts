/**
 * `lusim suite run --qemu` on a real kernel (cli/suite/qemu.ts over kexec/real-reset-methods.ts):
 * one boot of Debian 6.12 serves every check below. fixtures/suites/qemu-fleet.yaml holds what
 * the kernel really writes to sysfs reset_method (measured in test/e2e/reset-methods-live.test.ts);
 * a second suite, written here, expects FLR of e1000e, which QEMU 7.2's e1000e does not have, and
 * must fail on the real kernel and on the model, saying which.
 *
 * Needs QEMU and the 6.12 kernel in the cache (`lusim kernels fetch --for-tests`); skips without
 * them, except under CI, where that is a failure.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { findKernel } from '../../kexec/kernels.js';
import { renderJunit } from '../../cli/suite/junit.js';
import { renderKtap } from '../../cli/suite/ktap.js';
import { runQemuSuites } from '../../cli/suite/qemu.js';
import type { SuiteResults } from '../../cli/suite/results.js';

const skip = findKernel('6.12') === undefined && !process.env.CI;
const why = skip ? ' (SKIPPED: kernel 6.12 not cached; run `npx tsx cli/main.ts kernels fetch --for-tests`)' : '';

describe.skipIf(skip)(`lusim suite run --qemu: one 6.12 guest for every reset case${why}`, () => {
  let doc: SuiteResults;
  beforeAll(async () => {
    const wrong = join(mkdtempSync(join(tmpdir(), 'lusim-suite-qemu-')), 'wrong.yaml');
    writeFileSync(wrong, 'name: wrong\nkernels: [6.12]\ncases:\n  - name: e1000e with FLR\n    device: {qemu: [e1000e]}\n    expect: {reset_method: [flr, pm, bus]}\n');
    doc = await runQemuSuites(['fixtures/suites/qemu-fleet.yaml', wrong], { jobs: 1 });
  }, 240_000);

  it('the reset cases ran on the real kernel and the model, and agree with the expectations', () => {
    const reset = doc.results.filter((r) => r.suite === 'qemu-fleet' && r.kind === 'reset');
    expect(reset.map((r) => [r.case, r.source, r.status])).toEqual([
      ['nvme', 'qemu', 'pass'], ['e1000e has no FLR in QEMU 7.2', 'qemu', 'pass'], ['modern virtio-net', 'qemu', 'pass'],
    ]);
    for (const r of reset) {
      expect(r.checks.map((c) => c.key)).toContain('qemu.reset_method');
      expect(r.checks.find((c) => c.key === 'model = qemu (reset_method)')).toMatchObject({ pass: true });
      expect(r.checks.find((c) => c.key === 'qemu.reset_method')?.why).toMatch(/under Linux 6\.12\.\d+/);
    }
  });

  it('the cycle case ran on the model and says so', () => {
    const c = doc.results.find((r) => r.kind === 'cycle')!;
    expect(c).toMatchObject({ status: 'pass', source: 'model', kernel: '6.12' });
    expect(c.notes?.[0]).toMatch(/model only/);
  });

  it('a wrong expectation fails on the real kernel, with the kernel\'s list', () => {
    const w = doc.results.find((r) => r.suite === 'wrong')!;
    expect(w.status).toBe('fail');
    expect(w.checks.filter((c) => !c.pass).map((c) => [c.key, c.actual])).toEqual([['reset_method', ['pm', 'bus']], ['qemu.reset_method', ['pm', 'bus']]]);
    expect(doc.source).toBe('model+qemu');
  });

  it('its JUnit is well-formed XML and its KTAP counts the failure', () => {
    expect(XMLValidator.validate(renderJunit(doc))).toBe(true);
    expect(renderKtap(doc)).toMatch(/# Totals: pass:4 fail:1 xfail:0 xpass:0 skip:0 error:0\n$/);
  });
});

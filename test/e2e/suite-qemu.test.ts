/**
 * `lusim suite run --qemu --jobs 2` on real kernels (cli/suite/qemu.ts): the example suite
 * (examples/fleet.yaml: QEMU 7.2's nvme, e1000e and virtio-net on Debian 6.1.0-57, 6.12.117 and
 * 7.2.13) and a suite of wrong expectations written here, in three guests for 18 tests: one per
 * kernel pair (and drift) of the cycle cases, each carrying every device its cycle cases name across
 * one real kexec, saved and restored by the guest kernels, and answering the reset cases of its
 * kernel A on A's cold boot (virtio-net rides along for its reset_method only).
 *
 * What it measured (and pins): the real sysfs reset_method lists are the model's (nvme "flr bus",
 * e1000e "pm bus", virtio-net "flr pm bus", as test/e2e/reset-methods-live.test.ts found); across
 * 6.12 -> 7.2 and 7.2 -> 6.1 kernel B's pci_load_saved_state returns 0, nvme loses MSI-X Enable
 * and nothing is corrupted, and the model's blob, load, restored state and verdicts equal the
 * kernels'; with the EXP entry grown (pcie:+reg, 6.1 -> 7.2) 7.2 returns -22, as the model does.
 *
 * Two guests at a time on purpose (--jobs 2), the only booting file that does (vitest.config.ts).
 *
 * Needs QEMU and the three kernels in the cache (`lusim kernels fetch --for-tests`); skips without
 * them, except under CI, where that is a failure.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { findKernel } from '../../kexec/kernels/kernels.js';
import { renderJunit } from '../../cli/suite/junit.js';
import { renderKtap } from '../../cli/suite/ktap.js';
import { runQemuSuites, type QemuSuiteRun } from '../../cli/suite/qemu.js';

const skip = !['6.1', '6.12', '7'].every((k) => findKernel(k) !== undefined) && !process.env.CI;
const why = skip ? ' (SKIPPED: kernels not cached; run `npx tsx cli/main.ts kernels fetch --for-tests`)' : '';

const WRONG = `name: wrong
kernels: [6.12.y]
cases:
  - name: e1000e with FLR
    device: {qemu: [e1000e]}
    expect: {reset_method: [flr, pm, bus]}
  - name: nvme 6.12 -> 7.2 loses nothing
    device: nvme
    cycle: {from: 6.12.y, to: "7.2"}
    expect: {lost: []}
`;

describe.skipIf(skip)(`lusim suite run --qemu --jobs 2: the example suite on Debian 6.1, 6.12 and 7.2${why}`, () => {
  let run: QemuSuiteRun;
  beforeAll(async () => {
    const wrong = join(mkdtempSync(join(tmpdir(), 'lusim-suite-qemu-')), 'wrong.yaml');
    writeFileSync(wrong, WRONG);
    run = await runQemuSuites(['examples/fleet.yaml', wrong], { jobs: 2 });
  }, 900_000);
  const example = () => run.doc.results.filter((r) => r.suite === 'example-fleet');

  it('three guests served every test, two at a time', () => {
    expect(run.boots.map((b) => [b.key, b.devices, b.passengers, b.ok]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      ['cycle 6.1.y -> 7.2 linux-blob drift pcie:+reg', ['nvme'], ['e1000e', 'virtio-net-pci'], true],
      ['cycle 6.12.y -> 7.2 linux-blob', ['nvme', 'e1000e'], ['virtio-net-pci'], true],
      ['cycle 7.2 -> 6.1.y linux-blob', ['nvme'], ['e1000e', 'virtio-net-pci'], true],
    ]);
    // --jobs 2: some guest started before the one ahead of it had finished.
    expect(run.boots.some((b, i) => i > 0 && b.startMs < run.boots[i - 1]!.endMs)).toBe(true);
  });

  it('the example passes on the model and on the real kernels; every QEMU device ran on them', () => {
    const bad = example().filter((r) => r.status !== 'pass');
    expect(bad.map((r) => [r.id, r.error, r.checks.filter((c) => !c.pass)]), JSON.stringify(bad, null, 1)).toEqual([]);
    expect(example().map((r) => [r.case, r.kernel, r.source]).filter(([, , s]) => s === 'model')).toEqual([
      ['an L1SS endpoint saved by 6.12', '6.1.y', 'model'], ['an L1SS endpoint saved by 6.12', '6.12.y', 'model'], ['an L1SS endpoint saved by 6.12', '7.2', 'model'],
    ]);
    expect(example().find((r) => r.source === 'model')!.notes).toEqual(['model only: a dump-file device has no QEMU counterpart']);
    for (const r of example().filter((x) => x.kind === 'reset')) {
      expect(r.checks.find((c) => c.key === 'qemu.reset_method')?.why, r.id).toMatch(/under Linux (6\.1\.0|6\.12\.|7\.2\.)/);
      expect(r.checks.find((c) => c.key === 'model = qemu (reset_method)'), r.id).toMatchObject({ pass: true });
      expect(r.notes, r.id).toEqual([expect.stringContaining(`reset_method read on kernel A's boot of the real cycle ${r.kernel} -> `)]);
    }
  });

  it('a cycle case checks its expectations on the real kexec and the model against it: blob, load, restored state, verdicts', () => {
    const nvme = example().find((r) => r.case === 'nvme 6.12 -> 7.2 loses only MSI-X Enable')!;
    expect(nvme.checks.map((c) => c.key)).toEqual([
      'load', 'lost', 'corrupted', 'refused',
      'qemu.load', 'qemu.lost', 'qemu.corrupted', 'qemu.refused',
      'model = qemu (blob)', 'model = qemu (load)', 'model = qemu (restored state)', 'model = qemu (verdicts)',
    ]);
    expect(nvme.checks.find((c) => c.key === 'qemu.lost')).toMatchObject({ pass: true, actual: ['PCI_MSIX_FLAGS.PCI_MSIX_FLAGS_ENABLE'] });
    expect(nvme.checks.find((c) => c.key === 'model = qemu (blob)')).toMatchObject({ pass: true, expected: '94 bytes' });
    expect(nvme.notes?.[0]).toMatch(/^real cycle: Linux 6\.12\.\d+\+deb12-cloud-amd64 -> 7\.2\.\d+\+deb14-cloud-amd64, linux-blob, saved and restored by the guest kernels/);
    const drift = example().find((r) => r.case.startsWith('a 6.1 blob into a 7.2'))!;
    expect(drift.checks.find((c) => c.key === 'qemu.load')).toMatchObject({ pass: true, actual: 'refused' });
    expect(drift.checks.find((c) => c.key === 'model = qemu (load)')).toMatchObject({ pass: true, expected: -22, actual: -22 });
  });

  it('wrong expectations fail on the model and on the real kernels, with what the kernel did', () => {
    const w = run.doc.results.filter((r) => r.suite === 'wrong');
    expect(w.map((r) => [r.case, r.status, r.source])).toEqual([['e1000e with FLR', 'fail', 'qemu'], ['nvme 6.12 -> 7.2 loses nothing', 'fail', 'qemu']]);
    expect(w[0]!.checks.filter((c) => !c.pass).map((c) => [c.key, c.actual])).toEqual([['reset_method', ['pm', 'bus']], ['qemu.reset_method', ['pm', 'bus']]]);
    expect(w[1]!.checks.filter((c) => !c.pass).map((c) => [c.key, c.actual])).toEqual([['lost', ['PCI_MSIX_FLAGS.PCI_MSIX_FLAGS_ENABLE']], ['qemu.lost', ['PCI_MSIX_FLAGS.PCI_MSIX_FLAGS_ENABLE']]]);
    expect(w[1]!.checks.find((c) => c.key === 'qemu.lost')!.why).toMatch(/nvme 01:00\.0 under Linux 6\.12/);
  });

  it('its JUnit is well-formed XML and its KTAP counts the failures', () => {
    expect(run.doc.source).toBe('model+qemu');
    expect(XMLValidator.validate(renderJunit(run.doc))).toBe(true);
    expect(renderKtap(run.doc)).toMatch(/# Totals: pass:16 fail:2 xfail:0 xpass:0 skip:0 error:0\n$/);
  });
});

/**
 * The real cycle (kexec/run/real-cycle.ts) with the host as saver (--saver host: kernel A's and B's
 * profiles over qtest; real-cycle-kernel.test.ts has the kernels' own) on Debian cloud kernels in QEMU, e1000e and nvme each behind
 * a pcie-root-port in one VM: 6.12 -> 6.1 carrying lusim-v1, 6.1 -> 7.x carrying the Linux blob.
 * Each run asserts that the handover envelope survived the real kexec byte for byte, the real
 * post-kexec state, the model's agreement with it, and the restored state.
 *
 * What these runs measured (and pin):
 *  - After kernel B's agent answers, every captured register equals step 1: kernel A's shutdown
 *    (nvme_shutdown -> pci_free_irq_vectors + pci_disable_device, pci_device_shutdown's
 *    pci_clear_master) is undone by kernel B's own nvme/pcieport probe before the host can look.
 *    The model predicts exactly that (simulateKexec + driverConfigure for B's driver).
 *  - Unbinding nvme in B leaves COMMAND 0x0103 and MSI-X off (the same as qemu.md 5.2's
 *    post-kexec state); the model's ->shutdown path predicts it register for register.
 *  - The restore brings COMMAND back to 0x0507 (MASTER, INTX_DISABLE from saved_config_space);
 *    MSI-X Enable stays off: it is not in the saved state, and pci_restore_msi_state has no
 *    msi_desc to rewrite once B's driver is gone (lost, as the model's cycle says).
 *  - Debian cloud kernels have no e1000e driver (CONFIG_E1000E unset), so e1000e is never touched:
 *    every field unchanged. The model's runCycle, started from the step-1 capture as found (no
 *    driver modelled on top of the live state), predicts the same. (An earlier runCycle applied a
 *    driver model-side on top of the capture and disagreed on three fields: a harness error.)
 *
 * Needs the kernels in the cache (`lusim kernels fetch --for-tests`). Without them it skips,
 * except under CI, where a missing kernel is a failure.
 */
import { describe, expect, it } from 'vitest';
import { findKernel } from '../../kexec/kernels/kernels.js';
import { runRealCycle } from '../../kexec/run/real-cycle.js';
import type { RealCycleReport } from '../../kexec/run/real-cycle-report.js';
import { parseRealDevices } from '../../kexec/topology/real-devices.js';
import { PCI_COMMAND_INTX_DISABLE, PCI_COMMAND_MASTER } from '../../devices/pci-regs.js';

const haveAll = ['6.1', '6.12', '7'].every((k) => findKernel(k) !== undefined);
const skip = !haveAll && !process.env.CI;
const why = skip ? ' (SKIPPED: kernels not cached; run `npx tsx cli/main.ts kernels fetch --for-tests`)' : '';

function fn(r: RealCycleReport, capture: 'a' | 'b' | 'beforeRestore' | 'final', id: string) {
  const f = r.captures[capture]?.functions.find((x) => x.id === id);
  if (!f) throw new Error(`no ${id} in capture ${capture}: ${JSON.stringify(r.error)}`);
  return f;
}

function checkRun(r: RealCycleReport): void {
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  expect(r.ok).toBe(true);

  // The handover data survived the real kexec.
  expect(r.handover?.survived).toMatchObject({ intact: true, differing: 0 });
  expect(r.handover!.bytes).toBeGreaterThan(100);

  // Step 1: nvme is driven by kernel A (cloud kernels build nvme in); e1000e has no driver.
  expect(fn(r, 'a', 'nvme')).toMatchObject({ driver: 'nvme', command: 0x0507, msixEnabled: true, msixUnmasked: 3 });
  expect(fn(r, 'a', 'e1000e')).toMatchObject({ driver: null, command: 0x0103, msixEnabled: false });

  // Step 3: the real post-kexec state, B's nvme driver bound again.
  expect(fn(r, 'b', 'nvme')).toMatchObject({ driver: 'nvme', command: 0x0507, msixEnabled: true });
  // After B's driver is unbound: bus master and INTX_DISABLE cleared, MSI-X off.
  expect(fn(r, 'beforeRestore', 'nvme')).toMatchObject({ driver: null, command: 0x0103, msixEnabled: false });
  // The model agrees with reality at both points, for every function (ports included).
  for (const f of r.fidelity) expect(f.diffs, `${f.point} ${f.id}`).toEqual([]);
  expect(r.fidelity.filter((f) => f.point === 'after-unbind').map((f) => [f.id, f.changed])).toEqual([['nvme', 2]]);

  // Step 4/5: restored through qtest in B's order.
  expect(fn(r, 'final', 'nvme')).toMatchObject({ command: 0x0507, msixEnabled: false });
  const nvme = r.devices.find((d) => d.id === 'nvme')!;
  expect(nvme.load).toMatchObject({ ret: 0 });
  expect(nvme.fields!.map((f) => `${f.field}:${f.verdict}`).sort()).toEqual(['PCI_COMMAND_INTX_DISABLE:restored', 'PCI_COMMAND_MASTER:restored', 'PCI_MSIX_FLAGS_ENABLE:lost']);
  expect(nvme.modelDifferences).toEqual([]);
  const e1000e = r.devices.find((d) => d.id === 'e1000e')!;
  expect(e1000e.fields).toEqual([]);
  expect(fn(r, 'final', 'e1000e').command & (PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE)).toBe(0);
  // The model's cycle from the step-1 capture (as found: no driver bound) predicts the same.
  expect(e1000e.modelDifferences).toEqual([]);
}

describe('real cycle (QEMU TCG, Debian cloud kernels, real kexec)', () => {
  it.skipIf(skip)(`6.12 -> 6.1, lusim-v1, e1000e + nvme behind root ports${why}`, async () => {
    const r = await runRealCycle({ endpoints: parseRealDevices('e1000e,nvme'), from: '6.12', to: '6.1', format: 'lusim-v1', saver: 'host', fetch: false });
    checkRun(r);
    expect(r.kernels).toMatchObject({ from: { profile: '6.12.y' }, to: { profile: '6.1.y' } });
    console.log(`real-cycle 6.12 -> 6.1: ${r.totalMs} ms (${r.phases.map((p) => `${p.name} ${p.ms}`).join(', ')})`);
  }, 180_000);

  it.skipIf(skip)(`6.1 -> 7.x, linux-blob, e1000e + nvme behind root ports${why}`, async () => {
    const r = await runRealCycle({ endpoints: parseRealDevices('e1000e,nvme'), from: '6.1', to: '7.x', format: 'linux-blob', saver: 'host', fetch: false });
    checkRun(r);
    expect(r.kernels).toMatchObject({ from: { profile: '6.1.y' }, to: { profile: '7.2' } });
    console.log(`real-cycle 6.1 -> 7.x: ${r.totalMs} ms (${r.phases.map((p) => `${p.name} ${p.ms}`).join(', ')})`);
  }, 180_000);

  it.skipIf(skip)(`a kernel that never answers ends the run with a typed error, the console's last lines and the partial report${why}`, async () => {
    const r = await runRealCycle({ endpoints: parseRealDevices('nvme'), from: '6.12', to: '6.1', format: 'lusim-v1', saver: 'host', fetch: false, bootTimeoutMs: 500 });
    expect(r.ok).toBe(false);
    expect(r.error).toMatchObject({ code: 'boot-failed', phase: 'boot A' });
    expect(r.error!.message).toMatch(/Last console lines/);
    expect(r.kernels?.from.profile).toBe('6.12.y');
    expect(r.phases.map((p) => p.name)).toEqual(['kernels', 'initramfs', 'qemu start', 'boot A']);
  }, 60_000);
});

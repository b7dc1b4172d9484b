/**
 * An SR-IOV function for real: QEMU 7.2's nvme with `sriov_max_vfs` (an SR-IOV capability and ARI,
 * hw/nvme/ctrl.c nvme_init_sriov; the launcher adds the NVM subsystem nvme_check_params requires),
 * below a pcie-root-port, through the kernels' own save and restore (6.12 -> 7.x, the Linux blob),
 * as `lusim fuzz --qemu` samples it (sim/fuzz/qemu-sample.ts).
 *
 * What this run measured (2026-12-07) and pins: kernel A's sriov_init set SR-IOV Control's ARI
 * Capable Hierarchy (iov.c: pci_ari_enabled(dev->bus), the Root Port forwards ARI), and it is
 * still set after kernel B's restore (sriov_restore_state writes back B's own iov->ctrl ARI bit,
 * which B's enumeration set the same way). The model's end-to-end cycle predicted it cleared until
 * it was given the captured port above (kexec/run/real-cycle.ts diffDevices): without the port,
 * pci_ari_enabled is false.
 *
 * Needs the kernels in the cache (`lusim kernels fetch --for-tests`). Without them it skips,
 * except under CI, where a missing kernel is a failure.
 */
import { describe, expect, it } from 'vitest';
import { findKernel } from '../../kexec/kernels/kernels.js';
import { runRealCycle } from '../../kexec/run/real-cycle.js';
import { parseTopology } from '../../kexec/topology/qemu-device.js';

const haveAll = ['6.12', '7'].every((k) => findKernel(k) !== undefined);
const skip = !haveAll && !process.env.CI;
const why = skip ? ' (SKIPPED: kernels not cached; run `npx tsx cli/main.ts kernels fetch --for-tests`)' : '';

describe('an SR-IOV nvme (QEMU TCG, Debian cloud kernels, real kexec)', () => {
  it.skipIf(skip)(`6.12 -> 7.x, the kernels' own save and restore: the model agrees at every point, ARI Capable Hierarchy included${why}`, async () => {
    const topology = parseTopology(['pcie-root-port,id=rp1', 'nvme,id=nv,bus=rp1,msix_qsize=4,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2']);
    const r = await runRealCycle({ endpoints: [], topology, from: '6.12', to: '7.x', format: 'linux-blob', saver: 'kernel', fetch: false });
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    expect(r.captures.a?.functions.find((f) => f.id === 'nv')).toMatchObject({ driver: 'nvme', ids: '1b36:0010' });
    for (const f of r.fidelity) expect(f.diffs, `${f.point} ${f.id}`).toEqual([]);
    const nv = r.devices.find((d) => d.id === 'nv')!;
    expect(nv.load).toMatchObject({ ret: 0 });
    expect(nv.kernel?.restoredVsPredicted).toEqual([]);
    expect(nv.modelDifferences).toEqual([]);
  }, 180_000);

  // Kernel A enables 2 VFs first (guest-vfs=2, sysfs sriov_numvfs): SR-IOV Control 0x19 (ARI,
  // VF MSE, VF Enable), NumVFs 2. Measured (2026-12-07): after the kexec the PF reads 0x10 and
  // NumVFs 0: kernel B's sriov_init found VF Enable set and wrote SR-IOV Control 0 (iov.c, then
  // ARI back), and QEMU 7.2's unregister_vfs zeroed NumVFs (test/e2e/sriov-write.test.ts). The
  // after-kexec prediction had no sriov_init and predicted both unchanged (0x19, 2) until
  // predictAfterKexec ran it (sim/predict/post-kexec.ts pciIovInitB, with the captured port for
  // ARI). The restore and the cycle's field account agree: kernel A's VFs are lost.
  it.skipIf(skip)(`6.12 -> 7.x with 2 VFs enabled in kernel A: they do not survive the kexec, and the model predicts every point${why}`, async () => {
    const topology = parseTopology(['pcie-root-port,id=rp1', 'nvme,id=nv,bus=rp1,msix_qsize=4,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,guest-vfs=2']);
    const r = await runRealCycle({ endpoints: [], topology, from: '6.12', to: '7.x', format: 'linux-blob', saver: 'kernel', fetch: false });
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    expect(r.phases.map((p) => p.name)).toContain('enable VFs A');
    // SR-IOV Control and NumVFs changed across the kexec, as predicted.
    expect(r.fidelity.find((f) => f.point === 'after-kexec' && f.id === 'nv')?.changed).toBe(2);
    for (const f of r.fidelity) expect(f.diffs, `${f.point} ${f.id}`).toEqual([]);
    const nv = r.devices.find((d) => d.id === 'nv')!;
    expect(nv.kernel?.restoredVsPredicted).toEqual([]);
    expect(nv.modelDifferences).toEqual([]);
    expect(nv.fields!.filter((f) => f.register.startsWith('PCI_SRIOV')).map((f) => `${f.field} ${f.before}->${f.after} ${f.verdict}`)).toEqual([
      'PCI_SRIOV_CTRL_VFE 1->0 lost', 'PCI_SRIOV_CTRL_MSE 1->0 lost', 'PCI_SRIOV_NUM_VF 2->0 lost',
    ]);
  }, 180_000);
});

/**
 * The fidelity campaign's truth, replayed without QEMU (kexec/run/fidelity.ts replayTruth): captures
 * taken by `lusim fidelity --out` on 2026-12-01 (QEMU 7.2.22 TCG; Debian 6.1.0-57, 6.12.117,
 * 7.2.13 cloud kernels), committed in fixtures/fidelity/. Each pair must agree with the model on
 * every function's reset_method in both kernels and on every register that changed across the
 * kexec, apart from the named unpredictable classes. The counts pin that the captures really
 * hold the changes the model had to get right (report.txt is the whole campaign's output).
 *
 * The plain pairs were captured again on 2026-12-02 with the boot-A point (same kernels; the boot
 * and kexec dumps came out byte-identical): every function at kernel A's entry
 * (`*-firmware-before-*.lspci`, kexec/qemu/firmware-state.ts) against the state after boot A. Every
 * register kernel A's boot changed agrees with the model's boot (sim/predict/boot.ts) or is a
 * named unpredictable class; `resource` counts the bridge windows the kernel's resource allocator
 * opened (SeaBIOS leaves a port's I/O window closed when nothing below has an I/O BAR).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayTruth } from '../../../kexec/run/fidelity-truth.js';

const DIR = join(__dirname, '..', '..', '..', 'fixtures', 'fidelity');

const PAIRS: readonly { topology: string; from: string; to: string; functions: number; changed: number; boot: number; resource: number; why: string }[] = [
  // 6.1's MSI address is in flat logical mode (irq.ts x86MsiAddressLo): the downstream port's
  // vector, on CPU 0 (0xfee01004), agrees in both switch pairs; the upstream port's went to CPU 1
  // (0xfee02004) and stays the allocator's choice.
  { topology: 'switch', from: '6.1', to: '6.12', functions: 4, changed: 8, boot: 15, resource: 6, why: '6.1 gives the switch ports the AER service and an MSI vector; free_irq zeroes the message; 6.12 gives them none' },
  { topology: 'switch', from: '7.x', to: '6.1', functions: 4, changed: 7, boot: 10, resource: 6, why: 'back into 6.1: MSI and INTX_DISABLE on the switch ports again' },
  { topology: 'multifunction', from: '6.12', to: '7.x', functions: 3, changed: 0, boot: 6, resource: 0, why: 'fn 0 "pm bus", fn 1 "flr pm": reset methods probed before the sibling exists' },
  { topology: 'bridge', from: '6.12', to: '7.x', functions: 3, changed: 0, boot: 5, resource: 0, why: 'pcie-pci-bridge "pm bus": probed before its subordinate bus exists' },
  { topology: 'no-driver', from: '6.1', to: '6.12', functions: 4, changed: 0, boot: 10, resource: 2, why: 'megasas-gen2 (no PM, no driver) keeps the bus master SeaBIOS set: PCI_UNKNOWN before v6.19' },
  { topology: 'virtio', from: '6.1', to: '6.12', functions: 4, changed: 0, boot: 10, resource: 4, why: 'virtio-blk with the transport only: bus master, no vectors' },
  { topology: 'msi-ioh3420', from: '6.12', to: '7.x', functions: 2, changed: 0, boot: 6, resource: 2, why: "ioh3420's MSI (2 vectors capable): msi_capability_init masks both, request_irq unmasks one: MASK_32 0x2" },
];

describe('fidelity truth replayed without QEMU', () => {
  for (const p of PAIRS) {
    it(`${p.topology} ${p.from} -> ${p.to}: ${p.why}`, async () => {
      const r = await replayTruth(join(DIR, p.topology), p.from, p.to);
      expect(r.resetMethods).toHaveLength(2 * p.functions);
      for (const x of r.resetMethods) expect(x.predicted, `${x.id} ${x.bdf} in ${x.kernel}`).toEqual(x.real);
      const bad = r.afterKexec.filter((x) => x.outcome === 'disagree').map((x) => `${x.id} ${x.register} real 0x${x.real.toString(16)} model 0x${x.predicted.toString(16)}`);
      expect(bad).toEqual([]);
      expect(r.afterKexec.filter((x) => x.outcome === 'agree')).toHaveLength(p.changed);
      const bootBad = r.afterBoot.filter((x) => x.outcome === 'disagree').map((x) => `${x.id} ${x.register} firmware 0x${x.before.toString(16)} real 0x${x.real.toString(16)} model 0x${x.predicted.toString(16)}`);
      expect(bootBad).toEqual([]);
      expect(r.afterBoot.filter((x) => x.outcome === 'agree')).toHaveLength(p.boot);
      expect(r.afterBoot.filter((x) => x.outcome === 'resource-allocator')).toHaveLength(p.resource);
    });
  }

  // The preserved mode (2026-12-02, same kernels; report.txt has both modes since): kernel A kept bus master
  // (lusim_pci.c preserve), saved and stored every function; kernel B loaded and restored each.
  const PRESERVED: readonly { topology: string; from: string; to: string; functions: number; restored: number; why: string }[] = [
    { topology: 'switch', from: '6.1', to: '6.12', functions: 4, restored: 4, why: '6.1 saved COMMAND 0x507 (MSI for AER: INTX_DISABLE); 6.12 restores it on ports it gave no MSI' },
    { topology: 'switch', from: '7.x', to: '6.1', functions: 4, restored: 2, why: "6.1's restore rewrites the MSI its AER service enabled: INTX_DISABLE stays (the model wrote the saved 0x107 before readKernelIrqState)" },
    { topology: 'no-driver', from: '7.x', to: '6.1', functions: 4, restored: 2, why: 'megasas keeps bus master through 7.x shutdown; Root Ports get no ACS controls from the restore (no IOMMU)' },
    { topology: 'virtio', from: '6.1', to: '6.12', functions: 4, restored: 2, why: 'virtio with and without its class driver, saved and restored' },
    { topology: 'bridge', from: '6.12', to: '7.x', functions: 3, restored: 1, why: 'pcie-pci-bridge and conventional e1000 restored by 7.x' },
  ];
  for (const p of PRESERVED) {
    it(`${p.topology} ${p.from} -> ${p.to} preserved: ${p.why}`, async () => {
      const r = await replayTruth(join(DIR, p.topology), p.from, p.to, 'preserved');
      expect(r.resetMethods).toHaveLength(2 * p.functions);
      for (const x of r.resetMethods) expect(x.predicted, `${x.id} ${x.bdf} in ${x.kernel}`).toEqual(x.real);
      const show = (xs: typeof r.afterKexec) => xs.filter((x) => x.outcome === 'disagree').map((x) => `${x.id} ${x.register} real 0x${x.real.toString(16)} model 0x${x.predicted.toString(16)}`);
      expect(show(r.afterKexec)).toEqual([]);
      expect(show(r.afterRestore)).toEqual([]);
      expect(r.afterRestore.filter((x) => x.outcome === 'agree')).toHaveLength(p.restored);
      expect(r.loads).toHaveLength(p.functions);
      for (const l of r.loads) expect([l.id, l.real], 'pci_load_saved_state').toEqual([l.id, l.model]);
    });
  }

  it('pins the enumeration-time reset_method rule on real lists', async () => {
    const mf = await replayTruth(join(DIR, 'multifunction'), '6.12', '7.x');
    const br = await replayTruth(join(DIR, 'bridge'), '6.12', '7.x');
    const sw = await replayTruth(join(DIR, 'switch'), '6.1', '6.12');
    const of = (r: typeof mf, id: string) => r.resetMethods.filter((x) => x.id === id).map((x) => x.real.join(' '));
    expect(of(mf, 'mf0')).toEqual(['pm bus', 'pm bus']);
    expect(of(mf, 'mf1')).toEqual(['flr pm', 'flr pm']);
    expect(of(br, 'ppb')).toEqual(['pm bus', 'pm bus']);
    expect(of(sw, 'up')).toEqual(['flr bus', 'flr bus']);
  });
});

/**
 * The drift generator only makes drifts kernel B can take, and the buffer-list drifts behave as
 * pci_load_saved_state says: a buffer kernel B no longer allocates makes it refuse the blob
 * (-EINVAL: "no LTR buffer"), while a new list order loads cleanly (it looks each buffer up by
 * capability ID, _pci_find_saved_cap); lusim-v1 loads both. A buffer kernel B gains loads too: the
 * load walks the blob's entries only (while (cap->size)), so B's new buffer is never looked at and
 * pci_restore_state writes back whatever it holds (kzalloc zeros here).
 */
import { describe, expect, it } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import { runCycle } from '../../../sim/cycle/run.js';
import { driftArb, driftChoiceArb, driftFor, gainDrifts } from '../../../sim/fuzz/drifts.js';
import type { FunctionAccess } from '../../../devices/access.js';
import { PCI_L1SS_CTL1, PCI_L1SS_CTL2 } from '../../../devices/pci-regs.js';
import { applyDrift, parseDrift } from '../../../sim/linux/drift.js';
import { kernelProfile, KERNEL_PROFILE_IDS } from '../../../sim/linux/profiles.js';
import { fixture, parentOf } from '../cycle/helpers.js';

describe('generated drifts', () => {
  fcTest.prop([driftArb, fc.constantFrom(...KERNEL_PROFILE_IDS)], { numRuns: 200 })('apply to every kernel profile', (drift, kernel) => {
    const p = applyDrift(kernelProfile(kernel), parseDrift(drift));
    expect(p.description).toContain(drift.split(';')[0]);
  });

  fcTest.prop([driftChoiceArb, fc.constantFrom(...KERNEL_PROFILE_IDS)], { numRuns: 300 })('drift choices, gains included, resolve to a drift kernel B takes', (choice, kernel) => {
    const drift = driftFor(choice, kernel);
    if (drift === undefined) return void expect(gainDrifts(kernel)).toEqual([]);
    expect(applyDrift(kernelProfile(kernel), parseDrift(drift)).description).toContain(drift.split(';')[0]);
  });

  it('gains are drawn only for kernels that lack the buffer', () => {
    expect(gainDrifts('6.1.y')).toEqual(['caps:+L1SS', 'alloc:+l1ss', 'alloc:+acs']);
    expect(gainDrifts('6.1')).toEqual(['alloc:+acs']);
    expect(gainDrifts('7.2')).toEqual(['alloc:+acs']);
    expect(gainDrifts('lu-pci')).toEqual([]);
  });

  it('widen is for EXP slots and narrow for ERR slots; anything else is a one-line usage error', () => {
    expect(applyDrift(kernelProfile('6.12'), parseDrift('pcie:widen(LNKCTL)')).layouts.exp.find((s) => s.name === 'PCI_EXP_LNKCTL')?.width).toBe(4);
    expect(applyDrift(kernelProfile('6.12'), parseDrift('aer:narrow(CAP)')).layouts.aer.find((s) => s.name === 'PCI_ERR_CAP')?.width).toBe(2);
    expect(() => parseDrift('aer:widen(CAP)')).toThrow(/aer slots can only be narrowed \(u32 -> u16\): use aer:narrow\(NAME\)/);
    expect(() => parseDrift('pcie:narrow(DEVCTL)')).toThrow(/pcie slots can only be widened/);
    expect(() => parseDrift('caps:widen(LTR)')).toThrow(/list of buffers, not of registers/);
    expect(() => applyDrift(kernelProfile('6.12'), parseDrift('pcie:widen(DEVSTA)'))).toThrow(/PCI_EXP_DEVSTA is not in the pcie layout/);
  });

  it('caps:+NAME / alloc:+NAME: kernel B gains the buffer with the code of the first profile that has it', () => {
    expect(parseDrift('caps:+L1SS')).toEqual([{ text: 'caps:+L1SS', buffer: 'caps', op: { kind: 'add', name: 'L1SS' } }]);
    // 6.1.y with v6.1's L1SS buffer is v6.1: the revert a7152be79b62 undone.
    const undone = applyDrift(kernelProfile('6.1.y'), parseDrift('caps:+L1SS'));
    const v61 = kernelProfile('6.1');
    for (const k of ['capSaveBuffers', 'allocOrder', 'saveOrder', 'pcieSaveInner', 'restoreOrder', 'pcieRestoreInner', 'l1ss'] as const) expect(undone[k]).toEqual(v61[k]);
    expect(undone.description).toContain('caps:+L1SS (L1SS as in 6.1)');
    // v6.12's pci_configure_aspm_l1ss, its L1SS steps inside pci_save/restore_pcie_state, and its link semantics.
    const l1ss = applyDrift(kernelProfile('6.1.y'), parseDrift('alloc:+l1ss'));
    expect(l1ss.allocOrder[0]).toBe('pci_configure_aspm_l1ss');
    expect([l1ss.pcieSaveInner, l1ss.pcieRestoreInner, l1ss.l1ss]).toEqual([['pci_save_aspm_l1ss_state'], ['pci_restore_aspm_l1ss_state'], 'link']);
    // lu-pci's ACS buffer: saved before VC, restored in place of pci_enable_acs.
    const acs = applyDrift(kernelProfile('7.2'), parseDrift('alloc:+acs'));
    expect(acs.allocOrder).toEqual(kernelProfile('lu-pci').allocOrder);
    expect(acs.saveOrder.slice(-2)).toEqual(['pci_save_acs_state', 'pci_save_vc_state']);
    expect(acs.restoreOrder).toContain('pci_restore_acs_state');
    expect(acs.restoreOrder).not.toContain('pci_enable_acs');
    expect(() => applyDrift(kernelProfile('6.12'), parseDrift('caps:+L1SS'))).toThrow(/kernel 6.12 already allocates the L1SS save buffer/);
    expect(() => applyDrift(kernelProfile('6.12'), parseDrift('caps:+ATS'))).toThrow(/no kernel profile has ATS in its caps list/);
    expect(() => applyDrift(kernelProfile('6.12'), parseDrift('alloc:+pri'))).toThrow(/no kernel profile has pri in its alloc list/);
  });

  it('caps:+L1SS on 6.1.y -> 6.1.y: the Linux blob loads and B restores its kzalloc\'d L1SS buffer (stale); lusim-v1 loads and leaves L1SS alone', async () => {
    // L1SS at 0x148 on endpoint-l1ss (scripts/make-synthetic.ts), programmed with every enable and a T_POWER_ON.
    const operate = async (a: FunctionAccess) => {
      await a.config.writel(0x148 + PCI_L1SS_CTL2, 0x51);
      await a.config.writel(0x148 + PCI_L1SS_CTL1, 0x4000280f);
    };
    const cycle = (format: 'linux-blob' | 'lusim-v1') =>
      runCycle(fixture('endpoint-l1ss')(), { from: '6.1.y', to: '6.1.y', format, flow: 'plain', drift: 'caps:+L1SS', operate, ...parentOf('endpoint-l1ss') });
    const blob = await cycle('linux-blob');
    expect(blob.load.ret).toBe(0);
    expect(blob.notes).toContain('L1SS buffer not written by the load (absent-from-blob): keeps kzalloc zeros');
    const stale = blob.fields.filter((f) => f.verdict === 'stale');
    expect(stale.map((f) => f.field)).toEqual(expect.arrayContaining(['PCI_L1SS_CTL1_ASPM_L1_2', 'PCI_L1SS_CTL2_T_PWR_ON_VALUE']));
    expect(stale.every((f) => f.register.startsWith('PCI_L1SS_') && f.after === 0)).toBe(true);
    const v1 = await cycle('lusim-v1');
    expect(v1.load.ret).toBe(0);
    expect(v1.fields.filter((f) => f.verdict === 'corrupted' || f.verdict === 'stale' || f.verdict === 'refused')).toEqual([]);
    expect(v1.notes).toContain('lusim-v1: no record for PCI_L1SS_CTL1: left as found (0x4000280f)');
  });

  it('caps:-LTR: the Linux blob is refused, lusim-v1 loads; caps:swap(EXP,LTR) loads in both', async () => {
    const cycle = (drift: string, format: 'linux-blob' | 'lusim-v1') =>
      runCycle(fixture('endpoint-l1ss')(), { from: '6.12', to: '6.12', format, flow: 'plain', drift, ...parentOf('endpoint-l1ss') });
    expect((await cycle('caps:-LTR', 'linux-blob')).load.error).toMatch(/no LTR buffer in the new kernel/);
    expect((await cycle('caps:-LTR', 'lusim-v1')).load.ret).toBe(0);
    for (const format of ['linux-blob', 'lusim-v1'] as const) {
      const r = await cycle('caps:swap(EXP,LTR)', format);
      expect(r.load.ret).toBe(0);
      expect(r.fields.filter((f) => f.verdict === 'corrupted' || f.verdict === 'stale')).toEqual([]);
    }
  });
});

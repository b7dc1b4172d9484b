/**
 * The drift generator only makes drifts every kernel profile can take, and the buffer-list drifts
 * behave as pci_load_saved_state says: a buffer kernel B no longer allocates makes it refuse the
 * blob (-EINVAL: "no LTR buffer"), while a new list order loads cleanly (it looks each buffer up
 * by capability ID, _pci_find_saved_cap); lusim-v1 loads both.
 */
import { describe, expect, it } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import { runCycle } from '../../../sim/cycle/run.js';
import { driftArb } from '../../../sim/fuzz/drifts.js';
import { applyDrift, parseDrift } from '../../../sim/linux/drift.js';
import { kernelProfile, KERNEL_PROFILE_IDS } from '../../../sim/linux/profiles.js';
import { fixture, parentOf } from '../cycle/helpers.js';

describe('generated drifts', () => {
  fcTest.prop([driftArb, fc.constantFrom(...KERNEL_PROFILE_IDS)], { numRuns: 200 })('apply to every kernel profile', (drift, kernel) => {
    const p = applyDrift(kernelProfile(kernel), parseDrift(drift));
    expect(p.description).toContain(drift.split(';')[0]);
  });

  it('widen is for EXP slots and narrow for ERR slots; anything else is a one-line usage error', () => {
    expect(applyDrift(kernelProfile('6.12'), parseDrift('pcie:widen(LNKCTL)')).layouts.exp.find((s) => s.name === 'PCI_EXP_LNKCTL')?.width).toBe(4);
    expect(applyDrift(kernelProfile('6.12'), parseDrift('aer:narrow(CAP)')).layouts.aer.find((s) => s.name === 'PCI_ERR_CAP')?.width).toBe(2);
    expect(() => parseDrift('aer:widen(CAP)')).toThrow(/aer slots can only be narrowed \(u32 -> u16\): use aer:narrow\(NAME\)/);
    expect(() => parseDrift('pcie:narrow(DEVCTL)')).toThrow(/pcie slots can only be widened/);
    expect(() => parseDrift('caps:widen(LTR)')).toThrow(/list of buffers, not of registers/);
    expect(() => applyDrift(kernelProfile('6.12'), parseDrift('pcie:widen(DEVSTA)'))).toThrow(/PCI_EXP_DEVSTA is not in the pcie layout/);
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

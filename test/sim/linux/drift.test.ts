/**
 * The --drift syntax (sim/linux/drift.ts): a drift that would change nothing, or names an entry
 * kernel B's layout lacks, is refused with the reason, never run as if it were a change.
 */
import { describe, expect, it } from 'vitest';
import { applyDrift, parseDrift } from '../../../sim/linux/drift.js';
import { kernelProfile } from '../../../sim/linux/profiles.js';

const refusal = (text: string, to = '7.1'): string => {
  try {
    applyDrift(kernelProfile(to), parseDrift(text));
    return 'accepted';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('parseDrift and applyDrift: drifts that change nothing or name nothing', () => {
  it('an unset drift is none; separators alone are a mistyped one', () => {
    expect(parseDrift('')).toEqual([]);
    expect(refusal(';;')).toBe('drift ";;" names no change: give one such as pcie:swap(DEVCTL2,LNKCTL2), or none');
    expect(parseDrift('pcie:swap(DEVCTL,LNKCTL);')).toHaveLength(1);
  });

  it('a swap of an entry with itself is refused in every spelling the lookups accept', () => {
    for (const [text, name] of [['pcie:swap(DEVCTL2,PCI_EXP_DEVCTL2)', 'DEVCTL2'], ['caps:swap(EXP,exp)', 'EXP'], ['alloc:swap(ptm,pci_ptm_init)', 'ptm'], ['aer:swap(CAP,CAP)', 'CAP']]) {
      expect(refusal(text)).toBe(`drift "${text}" swaps ${name} with itself, which changes nothing: name two different entries`);
    }
    expect(refusal('pcie:swap(DEVCTL2,LNKCTL2)')).toBe('accepted');
  });

  it('a swap naming a slot the layout lacks says which, and lists the layout', () => {
    expect(refusal('pcie:swap(devctl2,DEVCTL2)')).toMatch(/^pcie:swap\(devctl2,DEVCTL2\): PCI_EXP_devctl2 is not in the pcie layout \(PCI_EXP_DEVCTL, /);
    // Two real slots in two lists (ROOT_COMMAND is in the root-only tail) are still their own error.
    expect(refusal('aer:swap(ROOT_COMMAND,CAP)')).toBe('aer:swap(ROOT_COMMAND,CAP): both registers must be in the same aer layout');
  });
});

describe('applyDrift: an item naming an entry an earlier item removed', () => {
  it('says which item removed it, in every list; appending it again is a move and runs', () => {
    expect(refusal('caps:-LTR;caps:-LTR')).toBe('caps:-LTR: LTR was removed by an earlier item of this drift (caps:-LTR)');
    expect(refusal('pcie:-LNKCTL;pcie:swap(LNKCTL,DEVCTL)')).toBe('pcie:swap(LNKCTL,DEVCTL): PCI_EXP_LNKCTL was removed by an earlier item of this drift (pcie:-LNKCTL)');
    expect(refusal('alloc:-ptm;alloc:swap(pci_ptm_init,aer)')).toBe('alloc:swap(pci_ptm_init,aer): pci_ptm_init was removed by an earlier item of this drift (alloc:-ptm)');
    expect(refusal('pcie:-LNKCTL;pcie:+LNKCTL')).toBe('accepted');
  });
});

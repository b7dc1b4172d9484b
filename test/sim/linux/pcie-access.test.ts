/** access.c pcie_capability_reg_implemented and the read/write accessors, v6.1 vs v6.12+. */
import { describe, expect, it } from 'vitest';
import { kernelProfile } from '../../../sim/linux/profiles.js';
import { newPciDev } from '../../../sim/linux/dev.js';
import { pciSetupDevice } from '../../../sim/linux/find-cap.js';
import {
  pcieCapabilityReadWord, pcieCapabilityRegImplemented, pcieCapabilityWriteWord,
} from '../../../sim/linux/pcie-access.js';
import { buildSynthetic } from './helpers/synthetic.js';
import {
  PCI_EXP_DEVCTL2, PCI_EXP_LNKCTL, PCI_EXP_LNKCTL2, PCI_EXP_RTCTL, PCI_EXP_SLTCTL, PCI_EXP_SLTCTL2,
  PCI_EXP_SLTSTA, PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_ENDPOINT, PCI_EXP_TYPE_RC_END,
  PCI_EXP_TYPE_ROOT_PORT,
} from '../../../devices/pci-regs.js';

async function dev(type: number, version = 2, slot = false) {
  const s = buildSynthetic({ pcie: { type, version, slot } });
  const d = newPciDev(s.access);
  await pciSetupDevice(d);
  return { s, d };
}

describe('pcie_capability_reg_implemented', () => {
  it.each([
    // [case, type, version, slot, register, v6.1, v6.12+]
    ['LNKCTL2 on an RC integrated endpoint (no link): v6.12 pcie_cap_has_lnkctl2', PCI_EXP_TYPE_RC_END, 2, false, PCI_EXP_LNKCTL2, true, false],
    ['LNKCTL2 on an endpoint v2', PCI_EXP_TYPE_ENDPOINT, 2, false, PCI_EXP_LNKCTL2, true, true],
    ['LNKCTL2 on a v1 capability', PCI_EXP_TYPE_ENDPOINT, 1, false, PCI_EXP_LNKCTL2, false, false],
    ['LNKCTL on an RC integrated endpoint', PCI_EXP_TYPE_RC_END, 2, false, PCI_EXP_LNKCTL, false, false],
    ['DEVCTL2 on a v1 capability', PCI_EXP_TYPE_ENDPOINT, 1, false, PCI_EXP_DEVCTL2, false, false],
    ['SLTCTL on an endpoint', PCI_EXP_TYPE_ENDPOINT, 2, false, PCI_EXP_SLTCTL, false, false],
    ['SLTCTL on a root port with a slot', PCI_EXP_TYPE_ROOT_PORT, 2, true, PCI_EXP_SLTCTL, true, true],
    ['SLTCTL on a root port without a slot', PCI_EXP_TYPE_ROOT_PORT, 2, false, PCI_EXP_SLTCTL, false, false],
    ['RTCTL on an endpoint', PCI_EXP_TYPE_ENDPOINT, 2, false, PCI_EXP_RTCTL, false, false],
    ['RTCTL on a root port', PCI_EXP_TYPE_ROOT_PORT, 2, false, PCI_EXP_RTCTL, true, true],
    ['SLTCTL2 is never implemented, even on a slotted root port', PCI_EXP_TYPE_ROOT_PORT, 2, true, PCI_EXP_SLTCTL2, false, false],
  ])('%s', async (_n, type, version, slot, reg, v61, v612) => {
    const { d } = await dev(type, version, slot);
    expect(pcieCapabilityRegImplemented(kernelProfile('6.1'), d, reg)).toBe(v61);
    expect(pcieCapabilityRegImplemented(kernelProfile('6.12'), d, reg)).toBe(v612);
    expect(pcieCapabilityRegImplemented(kernelProfile('7.1'), d, reg)).toBe(v612);
  });
});

describe('pcie_capability_read_word / write_word', () => {
  it('unimplemented registers read 0 and writes to them are skipped (no config write)', async () => {
    const { s, d } = await dev(PCI_EXP_TYPE_ENDPOINT);
    s.space.poke(0x40 + PCI_EXP_SLTCTL2, 2, 0xbeef);
    expect(await pcieCapabilityReadWord(kernelProfile('7.1'), d, PCI_EXP_SLTCTL2)).toBe(0);
    await pcieCapabilityWriteWord(kernelProfile('7.1'), d, PCI_EXP_SLTCTL2, 0x1234);
    expect(d.log.writes).toEqual([]);
  });

  it('SLTSTA reads Presence Detect State on a slotless downstream port (PCIe r3.0 7.8)', async () => {
    const { d } = await dev(PCI_EXP_TYPE_DOWNSTREAM);
    expect(await pcieCapabilityReadWord(kernelProfile('6.12'), d, PCI_EXP_SLTSTA)).toBe(0x0040);
  });
});

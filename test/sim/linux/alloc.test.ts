/**
 * Save-buffer allocation per kernel profile (probe.c pci_device_add ->
 * pci_configure_aspm_l1ss / pci_allocate_cap_save_buffers / pci_ptm_init / pci_aer_init /
 * pci_tph_init, then dpc_probe) and the head-inserted list order of linux-pci.md 2.3.
 */
import { describe, expect, it } from 'vitest';
import { kernelProfile } from '../../../sim/linux/profiles.js';
import { KERNEL_PROFILES } from '../../../sim/linux/profile.js';
import { LinuxModelError } from '../../../sim/linux/errors.js';
import { buildSynthetic } from './helpers/synthetic.js';
import { capList, enumerate } from './helpers/enumerate.js';
import {
  PCI_CAP_ID_PCIX, PCI_EXP_TYPE_ENDPOINT, PCI_EXP_TYPE_RC_EC, PCI_EXP_TYPE_ROOT_PORT, PCI_EXT_CAP_ID_DPC,
  PCI_EXT_CAP_ID_ERR, PCI_EXT_CAP_ID_L1SS, PCI_EXT_CAP_ID_LTR, PCI_EXT_CAP_ID_PTM, PCI_EXT_CAP_ID_TPH,
  PCI_EXT_CAP_ID_VC, PCI_TPH_CAP,
} from '../../../devices/pci-regs.js';

/** linux-pci.md 5 worked example: endpoint with EXP, LTR, L1SS and AER. */
const exampleEndpoint = () => buildSynthetic({
  pcie: { type: PCI_EXP_TYPE_ENDPOINT },
  ext: [{ id: PCI_EXT_CAP_ID_ERR, at: 0x100 }, { id: PCI_EXT_CAP_ID_LTR, at: 0x150 }, { id: PCI_EXT_CAP_ID_L1SS, at: 0x160 }],
});

describe('allocateSaveBuffers: hlist order of the linux-pci.md 2.3 example endpoint', () => {
  it.each([
    ['6.1', ['ERR:16', 'L1SS:8', 'LTR:4', 'EXP:14']],
    ['6.1.y', ['ERR:16', 'LTR:4', 'EXP:14']],
    ['6.12', ['ERR:16', 'LTR:4', 'EXP:14', 'L1SS:8']],
    ['6.12.y', ['ERR:16', 'LTR:4', 'EXP:14', 'L1SS:8']],
    ['6.19', ['ERR:16', 'LTR:4', 'EXP:14', 'L1SS:8']],
    ['7.1', ['ERR:16', 'LTR:4', 'EXP:14', 'L1SS:8']],
  ])('%s: pci_allocate_cap_save_buffers / pci_configure_aspm_l1ss / pci_aer_init give %j', async (id, expected) => {
    const dev = await enumerate(kernelProfile(id), exampleEndpoint().access);
    expect(capList(dev)).toEqual(expected);
    expect(dev.saved.stateSaved).toBe(false);
    expect(dev.saved.savedCapSpace.every((b) => b.data.every((x) => x === 0))).toBe(true); // kzalloc
  });
});

describe('allocateSaveBuffers: a port with every saved capability', () => {
  const port = () => buildSynthetic({
    pcie: { type: PCI_EXP_TYPE_ROOT_PORT },
    std: [{ id: PCI_CAP_ID_PCIX, at: 0x80 }],
    ext: [
      { id: PCI_EXT_CAP_ID_ERR, at: 0x100 }, { id: PCI_EXT_CAP_ID_VC, at: 0x140 }, { id: PCI_EXT_CAP_ID_LTR, at: 0x180 },
      { id: PCI_EXT_CAP_ID_L1SS, at: 0x190 }, { id: PCI_EXT_CAP_ID_PTM, at: 0x1a0 }, { id: PCI_EXT_CAP_ID_DPC, at: 0x1b0 },
      { id: PCI_EXT_CAP_ID_TPH, at: 0x200 },
    ],
    init: [[0x200 + PCI_TPH_CAP, 4, 0x00030200]], // ST table in the capability, 4 entries
  });
  const all = { PCIE_TPH: true };
  it.each([
    ['6.1', ['DPC:2', 'ERR:20', 'PTM:4', 'VC:8', 'L1SS:8', 'LTR:4', 'PCIX:2', 'EXP:14']],
    ['6.1.y', ['DPC:2', 'ERR:20', 'PTM:4', 'VC:8', 'LTR:4', 'PCIX:2', 'EXP:14']],
    ['6.12', ['DPC:2', 'ERR:20', 'PTM:4', 'VC:8', 'LTR:4', 'PCIX:2', 'EXP:14', 'L1SS:8']],
    ['6.19', ['DPC:2', 'TPH:12', 'ERR:20', 'PTM:4', 'VC:8', 'LTR:4', 'PCIX:2', 'EXP:14', 'L1SS:8']],
    ['7.1', ['DPC:2', 'TPH:12', 'ERR:20', 'PTM:4', 'VC:8', 'LTR:4', 'PCIX:2', 'EXP:14', 'L1SS:8']],
  ])('%s with dpc_probe bound: %j', async (id, expected) => {
    const dev = await enumerate(kernelProfile(id, all), port().access, { dpcServiceBound: true });
    expect(capList(dev)).toEqual(expected);
  });

  it('dpc_probe is refused when AER is not native (pcie_aer_is_native)', async () => {
    const dev = await enumerate(kernelProfile('7.1'), port().access, { dpcServiceBound: true, kernel: { aerNative: false } });
    expect(capList(dev).some((c) => c.startsWith('DPC:'))).toBe(false);
  });

  it.each([
    ['PCIEAER', 'ERR'], ['PCIE_PTM', 'PTM'], ['PCIE_DPC', 'DPC'], ['PCIE_TPH', 'TPH'],
  ] as const)('Kconfig %s=n: no %s buffer (stub init)', async (opt, cap) => {
    const dev = await enumerate(kernelProfile('7.1', { ...all, [opt]: false }), port().access, { dpcServiceBound: true });
    expect(capList(dev).some((c) => c.startsWith(`${cap}:`))).toBe(false);
  });
});

describe('pci_aer_init: AER buffer is 16 bytes, 20 with ROOT_COMMAND (pcie_cap_has_rtctl)', () => {
  it.each([
    [PCI_EXP_TYPE_ENDPOINT, 16], [PCI_EXP_TYPE_ROOT_PORT, 20], [PCI_EXP_TYPE_RC_EC, 20],
  ])('PCIe type %i -> %i bytes', async (type, size) => {
    const s = buildSynthetic({ pcie: { type }, ext: [{ id: PCI_EXT_CAP_ID_ERR, at: 0x100 }] });
    const dev = await enumerate(kernelProfile('6.12'), s.access);
    expect(capList(dev)).toEqual([`ERR:${size}`, 'EXP:14']);
  });
});

describe('pci_tph_init: 4 + 2*N bytes, N only when the ST table is in the capability', () => {
  it.each([
    [0x00030200, 12], [0x00030400, 4], [0x00000000, 4], [0x07ff0200, 4 + 2 * 2048],
  ])('TPH_CAP %s -> %i bytes', async (cap, size) => {
    const s = buildSynthetic({ pcie: { type: PCI_EXP_TYPE_ENDPOINT }, ext: [{ id: PCI_EXT_CAP_ID_TPH, at: 0x100 }], init: [[0x104, 4, cap]] });
    const dev = await enumerate(kernelProfile('7.1', { PCIE_TPH: true }), s.access);
    expect(capList(dev)).toEqual([`TPH:${size}`, 'EXP:14']);
  });
});

describe('kernel profiles as data', () => {
  it('PCI_NUM_RESET_METHODS is 7 in v6.1 and 8 from v6.12 (include/linux/pci.h)', () => {
    expect(KERNEL_PROFILES.map((p) => [p.id, p.numResetMethods])).toEqual([
      ['6.1', 7], ['6.1.y', 7], ['6.12', 8], ['6.12.y', 8], ['6.19', 8], ['7.1', 8], ['7.2', 8], ['7.3', 8], ['lu-pci', 8],
    ]);
  });
  it('an unknown id is a typed error listing the known ids', () => {
    expect(() => kernelProfile('5.10')).toThrow(LinuxModelError);
    expect(() => kernelProfile('5.10')).toThrow(/6\.1, 6\.1\.y, 6\.12, 6\.12\.y, 6\.19, 7\.1/);
  });
});

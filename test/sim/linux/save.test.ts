/** pci_save_state and its per-capability steps, per kernel profile. */
import { describe, expect, it } from 'vitest';
import { kernelProfile } from '../../../sim/linux/profiles.js';
import { newPciDev } from '../../../sim/linux/dev.js';
import { pciSetupDevice } from '../../../sim/linux/find-cap.js';
import { pciBusAddDevice, pciSaveState } from '../../../sim/linux/save.js';
import { pciFindSavedCap, getU16, getU32 } from '../../../sim/linux/saved-cap.js';
import { buildSynthetic } from './helpers/synthetic.js';
import { enumerate } from './helpers/enumerate.js';
import {
  PCI_CAP_ID_EXP, PCI_EXP_TYPE_ENDPOINT, PCI_EXP_TYPE_ROOT_PORT, PCI_EXT_CAP_ID_ERR, PCI_EXT_CAP_ID_L1SS,
  PCI_EXT_CAP_ID_LTR,
} from '../../../devices/pci-regs.js';

const EXP = 0x40;
const L1SS = 0x160;

const endpoint = () => buildSynthetic({
  pcie: { type: PCI_EXP_TYPE_ENDPOINT },
  ext: [{ id: PCI_EXT_CAP_ID_ERR, at: 0x100 }, { id: PCI_EXT_CAP_ID_LTR, at: 0x150 }, { id: PCI_EXT_CAP_ID_L1SS, at: L1SS }],
  init: [
    [0x04, 2, 0x0406], [EXP + 0x08, 2, 0x2810], [EXP + 0x10, 2, 0x0042], [EXP + 0x18, 2, 0x1111], [EXP + 0x1c, 2, 0x2222],
    [EXP + 0x28, 2, 0x0400], [EXP + 0x30, 2, 0x0003], [EXP + 0x38, 2, 0x3333],
    [0x154, 4, 0x10031003], [L1SS + 0x08, 4, 0x4000000f], [L1SS + 0x0c, 4, 0x00000028],
  ],
});

describe('pci_save_state', () => {
  it('reads dwords 0..15 and sets state_saved before the capability saves, so -ENOMEM leaves it true', async () => {
    const s = endpoint();
    const dev = newPciDev(s.access);
    await pciSetupDevice(dev); // no allocation: pci_save_pcie_state finds no EXP buffer
    expect(await pciSaveState(kernelProfile('6.12'), dev)).toBe(-12);
    expect(dev.saved.stateSaved).toBe(true);
    expect(dev.saved.savedConfigSpace[1]).toBe(0x00100406);
  });

  it.each(['6.1', '6.1.y', '6.12', '7.1'])('%s: pci_save_pcie_state stores DEVCTL, LNKCTL, SLTCTL, RTCTL, DEVCTL2, LNKCTL2, SLTCTL2 with unimplemented ones as 0', async (id) => {
    const dev = await enumerate(kernelProfile(id), endpoint().access);
    expect(await pciSaveState(kernelProfile(id), dev)).toBe(0);
    const exp = pciFindSavedCap(dev, PCI_CAP_ID_EXP, false)!;
    // SLTCTL and RTCTL are not implemented on an endpoint; SLTCTL2 never is.
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => getU16(exp.data, i))).toEqual([0x2810, 0x0042, 0, 0, 0x0400, 0x0003, 0]);
    expect(getU32(pciFindSavedCap(dev, PCI_EXT_CAP_ID_LTR, true)!.data, 0)).toBe(0x10031003);
  });

  it.each([
    ['6.1', true], ['6.1.y', false], ['6.12', true], ['7.1', false],
  ] as const)('%s: pci_save_aspm_l1ss_state on an endpoint without a modelled parent saves own CTL2 then CTL1: %s', async (id, saved) => {
    const dev = await enumerate(kernelProfile(id), endpoint().access);
    await pciSaveState(kernelProfile(id), dev);
    const buf = pciFindSavedCap(dev, PCI_EXT_CAP_ID_L1SS, true);
    if (id === '6.1.y') expect(buf).toBeUndefined();
    else expect(buf && [getU32(buf.data, 0), getU32(buf.data, 1)]).toEqual(saved ? [0x28, 0x4000000f] : [0, 0]);
  });

  it('6.1: pci_save_aspm_l1ss_state is a stub without CONFIG_PCIEASPM', async () => {
    const p = kernelProfile('6.1', { PCIEASPM: false });
    const dev = await enumerate(p, endpoint().access);
    await pciSaveState(p, dev);
    expect(Array.from(pciFindSavedCap(dev, PCI_EXT_CAP_ID_L1SS, true)!.data)).toEqual(new Array(8).fill(0));
  });
});

describe('pci_save_aspm_l1ss_state: v6.12 saves own registers, v6.19+ also refreshes the parent buffer', () => {
  const rootPort = () => buildSynthetic({
    pcie: { type: PCI_EXP_TYPE_ROOT_PORT },
    ext: [{ id: PCI_EXT_CAP_ID_L1SS, at: 0x100 }],
    init: [[0x108, 4, 0x5000000a], [0x10c, 4, 0x00000050]],
  });
  it.each([
    ['6.12', [0, 0]], ['6.12.y', [0, 0]], ['6.19', [0x50, 0x5000000a]], ['7.1', [0x50, 0x5000000a]],
  ] as const)('%s: parent buffer after the child saves = %j', async (id, parentBuf) => {
    const p = kernelProfile(id);
    const parent = await enumerate(p, rootPort().access, { name: 'parent' });
    const child = await enumerate(p, endpoint().access, { parent });
    await pciSaveState(p, child);
    const pb = pciFindSavedCap(parent, PCI_EXT_CAP_ID_L1SS, true)!;
    expect([getU32(pb.data, 0), getU32(pb.data, 1)]).toEqual(parentBuf);
    const cb = pciFindSavedCap(child, PCI_EXT_CAP_ID_L1SS, true)!;
    expect([getU32(cb.data, 0), getU32(cb.data, 1)]).toEqual([0x28, 0x4000000f]);
  });

  it('v6.19+: a downstream port saves nothing itself (only its child refreshes its buffer)', async () => {
    const p = kernelProfile('7.1');
    const port = await enumerate(p, rootPort().access);
    await pciSaveState(p, port);
    expect(Array.from(pciFindSavedCap(port, PCI_EXT_CAP_ID_L1SS, true)!.data)).toEqual(new Array(8).fill(0));
  });
});

describe('pci_bus_add_device: save "for error recoverability" (a2f1e22390ac)', () => {
  it.each([
    ['6.1', false], ['6.1.y', false], ['6.12', false], ['6.12.y', true], ['6.19', true], ['7.1', true],
  ] as const)('%s saves at enumeration: %s', async (id, saves) => {
    const dev = await enumerate(kernelProfile(id), endpoint().access);
    await pciBusAddDevice(kernelProfile(id), dev);
    expect(dev.saved.stateSaved).toBe(saves);
  });
});

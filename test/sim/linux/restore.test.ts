/** pci_restore_state per kernel profile: order of writes, attribution, state_saved semantics. */
import { describe, expect, it } from 'vitest';
import { kernelProfile } from '../../../sim/linux/profiles.js';
import { newPciDev } from '../../../sim/linux/dev.js';
import { pciSetupDevice } from '../../../sim/linux/find-cap.js';
import { pciSaveState } from '../../../sim/linux/save.js';
import { pciRestoreState } from '../../../sim/linux/restore.js';
import { pciRestoreConfigSpace } from '../../../sim/linux/config-restore.js';
import { f, r } from '../../../devices/registers.js';
import { buildSynthetic, deafAccess, memoryBars } from './helpers/synthetic.js';
import { enumerate } from './helpers/enumerate.js';
import {
  PCI_CAP_ID_MSIX, PCI_EXP_TYPE_ENDPOINT, PCI_EXP_TYPE_ROOT_PORT, PCI_EXT_CAP_ID_ATS, PCI_EXT_CAP_ID_ERR,
  PCI_EXT_CAP_ID_L1SS, PCI_EXT_CAP_ID_LTR,
} from '../../../devices/pci-regs.js';

const endpoint = () => buildSynthetic({
  pcie: { type: PCI_EXP_TYPE_ENDPOINT },
  ext: [{ id: PCI_EXT_CAP_ID_ERR, at: 0x100 }, { id: PCI_EXT_CAP_ID_LTR, at: 0x150 }, { id: PCI_EXT_CAP_ID_L1SS, at: 0x160 }],
  init: [[0x04, 2, 0x0006], [0x10, 4, 0xfe000000], [0x3c, 1, 0x0b], [0x48, 2, 0x2810]],
});

describe('pci_restore_config_space', () => {
  it('type 0: dwords 15..10, BARs 9..4 with 10 retries each, then 3..0 (Command near last, dword 0 last)', async () => {
    let saving = true;
    const dev = newPciDev({ config: deafAccess((o) => (saving ? 0x1000 + o : 0)) });
    for (let i = 0; i < 16; i++) dev.saved.savedConfigSpace[i] = await dev.access.config.readl(i * 4);
    saving = false;
    await pciRestoreConfigSpace(dev);
    const order = dev.log.writes.map((e) => e.offset / 4);
    const bars = [9, 8, 7, 6, 5, 4].flatMap((i) => new Array(11).fill(i));
    expect(order).toEqual([15, 14, 13, 12, 11, 10, ...bars, 3, 2, 1, 0]);
  });

  it('type 0 on the model: only changed dwords are written, BAR before Command', async () => {
    const s = endpoint();
    const p = kernelProfile('6.12');
    const dev = await enumerate(p, s.access);
    await pciSaveState(p, dev);
    s.space.poke(0x04, 2, 0); s.space.poke(0x10, 4, 0); s.space.poke(0x3c, 1, 0);
    const log = await pciRestoreState(p, dev);
    expect(log.filter((e) => e.fn === 'pci_restore_config_space').map((e) => e.offset)).toEqual([0x3c, 0x10, 0x04]);
    expect(s.space.read(0x04, 2)).toBe(0x0006);
  });

  it('type 1: dwords 11..9 (prefetch window) are rewritten even when unchanged', async () => {
    const s = buildSynthetic({ headerType: 1, init: [[0x18, 4, 0x00020100], [0x24, 4, 0xfff10001]] });
    const dev = newPciDev(s.access);
    await pciSetupDevice(dev);
    await pciSaveState(kernelProfile('7.1'), dev);
    s.space.poke(0x18, 4, 0);
    await pciRestoreConfigSpace(dev);
    expect(dev.log.writes.map((e) => e.offset)).toEqual([0x2c, 0x28, 0x24, 0x18]);
  });
});

describe('pci_restore_state: state_saved semantics', () => {
  it.each([
    ['6.1', false], ['6.1.y', false], ['6.12', false], ['6.12.y', true], ['6.19', true], ['7.1', true],
  ] as const)('%s without a prior save restores anyway: %s (a2f1e22390ac)', async (id, restores) => {
    const s = endpoint();
    const dev = await enumerate(kernelProfile(id), s.access);
    const log = await pciRestoreState(kernelProfile(id), dev);
    expect(log.length > 0).toBe(restores);
    // Restoring the zeroed saved_config_space clears Command on the newer kernels.
    expect(s.space.read(0x04, 2)).toBe(restores ? 0 : 0x0006);
    expect(dev.saved.stateSaved).toBe(false);
  });

  it.each(['6.1', '6.12', '7.1'])('%s: a save is one-shot for restore (state_saved cleared at the end)', async (id) => {
    const p = kernelProfile(id);
    const dev = await enumerate(p, endpoint().access);
    await pciSaveState(p, dev);
    await pciRestoreState(p, dev);
    expect(dev.saved.stateSaved).toBe(false);
  });
});

describe('pci_restore_state: step order per profile', () => {
  const steps = (log: { fn: string }[]) => [...new Set(log.map((e) => e.fn))];
  it.each([
    ['6.1', ['pci_restore_ltr_state', 'pci_restore_aspm_l1ss_state', 'pci_restore_pcie_state', 'pci_aer_clear_status', 'pci_restore_aer_state', 'pci_restore_config_space']],
    ['6.1.y', ['pci_restore_ltr_state', 'pci_restore_pcie_state', 'pci_aer_clear_status', 'pci_restore_aer_state', 'pci_restore_config_space']],
    // v6.12+: LTR (and L1SS, here without a parent: nothing) run inside pci_restore_pcie_state.
    ['6.12', ['pci_restore_ltr_state', 'pci_restore_pcie_state', 'pci_aer_clear_status', 'pci_restore_aer_state', 'pci_restore_config_space']],
    ['7.1', ['pci_restore_ltr_state', 'pci_restore_pcie_state', 'pci_aer_clear_status', 'pci_restore_aer_state', 'pci_restore_config_space']],
  ])('%s', async (id, expected) => {
    const s = endpoint();
    const p = kernelProfile(id);
    const dev = await enumerate(p, s.access);
    await pciSaveState(p, dev);
    s.space.poke(0x04, 2, 0);
    expect(steps(await pciRestoreState(p, dev))).toEqual(expected);
  });

  it('v6.12+ pci_restore_aspm_l1ss_state programs the link from the child: parent CTL2, child CTL2, parent CTL1, child CTL1, then enables', async () => {
    const p = kernelProfile('7.1');
    const rp = buildSynthetic({ pcie: { type: PCI_EXP_TYPE_ROOT_PORT }, ext: [{ id: PCI_EXT_CAP_ID_L1SS, at: 0x100 }], init: [[0x108, 4, 0x5000000a], [0x10c, 4, 0x50]] });
    const parent = await enumerate(p, rp.access, { name: 'parent' });
    const child = await enumerate(p, endpoint().access, { parent });
    child.log.writes.length = 0;
    await pciSaveState(p, child);
    const l1ss = (await pciRestoreState(p, child)).filter((e) => e.fn === 'pci_restore_aspm_l1ss_state');
    const cl = 0x160;
    expect(l1ss.map((e) => [e.device, e.offset, e.value])).toEqual([
      ['dev', cl + 8, 0], ['parent', 0x108, 0x50000000 | 0x0a],
      ['parent', 0x10c, 0x50], ['dev', cl + 0xc, 0], ['parent', 0x108, 0x5000000a], ['dev', cl + 8, 0],
    ]);
  });
});

describe('regenerated state', () => {
  it('pci_aer_clear_status writes back ROOT_STATUS, COR_STATUS, UNCOR_STATUS (RW1C) before pci_restore_aer_state', async () => {
    const aer = 0x100;
    const s = buildSynthetic({
      pcie: { type: PCI_EXP_TYPE_ROOT_PORT },
      ext: [{ id: PCI_EXT_CAP_ID_ERR, at: aer }],
      registers: [
        r('PCI_ERR_UNCOR_STATUS', aer + 0x04, 4, [f('status', [31, 0], 'RW1C')]),
        r('PCI_ERR_COR_STATUS', aer + 0x10, 4, [f('status', [31, 0], 'RW1C')]),
        r('PCI_ERR_ROOT_STATUS', aer + 0x30, 4, [f('status', [31, 0], 'RW1C')]),
      ],
    });
    const p = kernelProfile('6.12');
    const dev = await enumerate(p, s.access);
    await pciSaveState(p, dev);
    s.space.poke(aer + 0x04, 4, 0x10); s.space.poke(aer + 0x10, 4, 0x1); s.space.poke(aer + 0x30, 4, 0x4);
    const log = await pciRestoreState(p, dev);
    expect(log.filter((e) => e.fn === 'pci_aer_clear_status').map((e) => [e.offset - aer, e.value])).toEqual([[0x30, 0x4], [0x10, 0x1], [0x04, 0x10]]);
    expect([s.space.read(aer + 0x04, 4), s.space.read(aer + 0x10, 4), s.space.read(aer + 0x30, 4)]).toEqual([0, 0, 0]);
    // pci_restore_aer_state: UNCOR_MASK, UNCOR_SEVER, COR_MASK, CAP, ROOT_COMMAND (root port: 5 dwords).
    expect(log.filter((e) => e.fn === 'pci_restore_aer_state').map((e) => e.offset - aer)).toEqual([0x08, 0x0c, 0x14, 0x18, 0x2c]);
  });

  it('pci_restore_msi_state: MSI-X enabled with MASKALL, table rewritten through the BAR from msi_desc, MASKALL cleared', async () => {
    const s = buildSynthetic({ pcie: { type: PCI_EXP_TYPE_ENDPOINT }, std: [{ id: PCI_CAP_ID_MSIX, at: 0x70 }] });
    const bars = memoryBars();
    const p = kernelProfile('7.1');
    const dev = await enumerate(p, { config: s.access.config, bars }, {
      kernel: { msix: { cap: 0x70, tableBar: 3, tableOffset: 0x2000, canMask: true, descs: [
        { index: 0, addressLo: 0xfee00000, addressHi: 0, data: 0x4021, msixCtrl: 0 },
        { index: 1, addressLo: 0xfee01000, addressHi: 0, data: 0x4022, msixCtrl: 1 },
      ] } },
    });
    await pciSaveState(p, dev);
    const log = (await pciRestoreState(p, dev)).filter((e) => e.fn === 'pci_restore_msi_state');
    expect(log.map((e) => [e.space, e.offset, e.value])).toEqual([
      ['config', 0x04, 0x0400],                 // pci_intx(dev, 0): INTX_DISABLE
      ['config', 0x72, 0xc000],                 // ENABLE | MASKALL
      ['bar', 0x200c, 1], ['bar', 0x2000, 0xfee00000], ['bar', 0x2004, 0], ['bar', 0x2008, 0x4021], ['bar', 0x200c, 0], ['bar', 0x200c, 0],
      ['bar', 0x2010, 0xfee01000], ['bar', 0x2014, 0], ['bar', 0x2018, 0x4022], ['bar', 0x201c, 1],
      ['config', 0x72, 0x8000],                 // MASKALL cleared
    ]);
    expect(bars.mem.get('3:8200')).toBe(0x4021);
  });

  it('pci_restore_ats_state writes ENABLE | STU from kernel state, not from a buffer', async () => {
    const s = buildSynthetic({ pcie: { type: PCI_EXP_TYPE_ENDPOINT }, ext: [{ id: PCI_EXT_CAP_ID_ATS, at: 0x100 }] });
    const p = kernelProfile('6.1');
    const dev = await enumerate(p, s.access, { kernel: { atsEnabled: true, atsStu: 12 } });
    await pciSaveState(p, dev);
    const log = await pciRestoreState(p, dev);
    expect(log.filter((e) => e.fn === 'pci_restore_ats_state').map((e) => [e.offset, e.value])).toEqual([[0x106, 0x8000]]);
  });
});

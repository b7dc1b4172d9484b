/**
 * The 7.2, 7.3 and lu-pci profiles. What changed relative to 7.1, read in Debian's linux-source
 * 7.2.13-1 and 7.3.4-1~bpo13+1 against rikudousennin22/linux-7.1.3:
 *  - 7.2 drivers/pci/pci.c pci_restore_config_dword lost its retry argument (BARs written once);
 *  - 7.2 drivers/pci/msi/msi.c __pci_restore_msix_state sets PCI_COMMAND_MEMORY around the table;
 *  - 7.3 drivers/pci/pcie/aer.c pci_aer_init clears PCI_ERR_COR_ADV_NFAT when DEVCAP has RBER;
 *  - lu-pci ("PCI: Save and restore the ACS Control register", upstream-2026.md): an ACS buffer
 *    (its u16 size and pci_acs_init slot inferred: the diff was not readable, profile.ts).
 */
import { describe, expect, it } from 'vitest';
import { kernelProfile } from '../../../sim/linux/profiles.js';
import { newPciDev } from '../../../sim/linux/dev.js';
import { pciSaveState } from '../../../sim/linux/save.js';
import { pciRestoreState } from '../../../sim/linux/restore.js';
import { pciLoadSavedState, pciStoreSavedState, serializeLinuxBlob } from '../../../sim/formats/linux-blob.js';
import { kernelEnumerate } from '../../../sim/kexec-sim/index.js';
import { buildSynthetic, deafAccess, memoryBars } from './helpers/synthetic.js';
import { capList, enumerate } from './helpers/enumerate.js';
import {
  PCI_ACS_CTRL, PCI_CAP_ID_MSIX, PCI_ERR_COR_ADV_NFAT, PCI_ERR_COR_MASK, PCI_EXP_TYPE_ENDPOINT, PCI_EXP_TYPE_ROOT_PORT,
  PCI_EXT_CAP_ID_ACS, PCI_EXT_CAP_ID_ERR,
} from '../../../devices/pci-regs.js';
import { pciRestoreConfigSpace } from '../../../sim/linux/config-restore.js';

describe('7.2: pci_restore_config_space without the BAR retry', () => {
  it.each([['7.1', 11], ['7.2', 1], ['7.3', 1], ['lu-pci', 1]] as const)('%s writes each BAR that does not stick %i time(s)', async (id, writes) => {
    let saving = true;
    const dev = newPciDev({ config: deafAccess((o) => (saving ? 0x1000 + o : 0)) });
    for (let i = 0; i < 16; i++) dev.saved.savedConfigSpace[i] = await dev.access.config.readl(i * 4);
    saving = false;
    await pciRestoreConfigSpace(dev, kernelProfile(id).barRestoreRetries);
    expect(dev.log.writes.filter((e) => e.offset === 0x10).length).toBe(writes);
  });
});

describe('7.2: __pci_restore_msix_state turns Memory Space on around the table writes', () => {
  const msixDev = async (id: string) => {
    const s = buildSynthetic({ pcie: { type: PCI_EXP_TYPE_ENDPOINT }, std: [{ id: PCI_CAP_ID_MSIX, at: 0x70 }] });
    const p = kernelProfile(id);
    const dev = await enumerate(p, { config: s.access.config, bars: memoryBars() }, {
      kernel: { msix: { cap: 0x70, tableBar: 3, tableOffset: 0x2000, canMask: true, descs: [{ index: 0, addressLo: 0xfee00000, addressHi: 0, data: 0x4021, msixCtrl: 0 }] } },
    });
    await pciSaveState(p, dev);
    return (await pciRestoreState(p, dev)).filter((e) => e.fn === 'pci_restore_msi_state' && e.space === 'config' && e.offset === 0x04).map((e) => e.value);
  };
  it('7.1: Command is only written for INTX_DISABLE (the table is written whatever MEM says)', async () => {
    expect(await msixDev('7.1')).toEqual([0x0400]);
  });
  it('7.2: INTX_DISABLE, then | MEMORY before the table, then the value read back after it', async () => {
    expect(await msixDev('7.2')).toEqual([0x0400, 0x0402, 0x0400]);
  });
});

describe('7.3: pci_aer_init unmasks Advisory Non-Fatal errors (PCIe r7.0 7.8.4.6)', () => {
  // DEVCAP 0x8000 = RBER; COR_MASK at its default 0x2000 (ADV_NFAT masked).
  const dev = () => buildSynthetic({
    pcie: { type: PCI_EXP_TYPE_ENDPOINT }, ext: [{ id: PCI_EXT_CAP_ID_ERR, at: 0x100 }],
    init: [[0x48 - 0x04, 4, 0x00008000], [0x100 + PCI_ERR_COR_MASK, 4, PCI_ERR_COR_ADV_NFAT]],
  });
  it.each([['7.2', PCI_ERR_COR_ADV_NFAT], ['7.3', 0], ['lu-pci', 0]] as const)('%s leaves COR_MASK = %i', async (id, mask) => {
    const s = dev();
    expect(s.space.read(0x44, 4) & 0x8000).toBe(0x8000);
    await kernelEnumerate(s.access, id);
    expect(s.space.read(0x100 + PCI_ERR_COR_MASK, 4) & PCI_ERR_COR_ADV_NFAT).toBe(mask);
  });
});

describe('lu-pci: ACS Control saved and restored (a new saved_cap_space entry)', () => {
  const port = () => buildSynthetic({
    pcie: { type: PCI_EXP_TYPE_ROOT_PORT }, ext: [{ id: PCI_EXT_CAP_ID_ERR, at: 0x100 }, { id: PCI_EXT_CAP_ID_ACS, at: 0x148 }],
    init: [[0x148 + PCI_ACS_CTRL, 2, 0x001d]],
  });
  it('the ACS buffer sits between ERR and EXP (allocated in pci_acs_init, after pci_allocate_cap_save_buffers); 7.3 has none', async () => {
    expect(capList(await enumerate(kernelProfile('lu-pci'), port().access))).toEqual(['ERR:20', 'ACS:2', 'EXP:14']);
    expect(capList(await enumerate(kernelProfile('7.3'), port().access))).toEqual(['ERR:20', 'EXP:14']);
  });

  it('golden blob: 64 config bytes, ERR (8+20), ACS (8+2: cap_nr 0x0d, extended, size 2, ACS_CTRL), EXP (8+14), terminator', async () => {
    const s = port();
    const p = kernelProfile('lu-pci');
    const dev = await enumerate(p, s.access);
    await pciSaveState(p, dev);
    const blob = serializeLinuxBlob(pciStoreSavedState(dev.saved)!);
    expect(blob.length).toBe(64 + 28 + 10 + 22 + 8);
    expect([...blob.subarray(92, 102)]).toEqual([0x0d, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x1d, 0x00]);
  });

  it('a lu-pci blob is refused by 7.3 (-EINVAL: no ACS buffer); a 7.3 blob loads into lu-pci and leaves the ACS buffer as it was', async () => {
    const save = async (id: string) => {
      const p = kernelProfile(id);
      const dev = await enumerate(p, port().access);
      await pciSaveState(p, dev);
      return pciStoreSavedState(dev.saved)!;
    };
    const into73 = await enumerate(kernelProfile('7.3'), port().access);
    const refused = pciLoadSavedState(into73.saved, await save('lu-pci'));
    expect([refused.ret, refused.failed?.reason, refused.failed?.capNr]).toEqual([-22, 'missing-buffer', PCI_EXT_CAP_ID_ACS]);
    const intoLu = await enumerate(kernelProfile('lu-pci'), port().access);
    const loaded = pciLoadSavedState(intoLu.saved, await save('7.3'));
    expect(loaded.ret).toBe(0);
    expect(loaded.stale.map((b) => b.capNr)).toEqual([PCI_EXT_CAP_ID_ACS]);
  });

  it('pci_restore_state writes the saved ACS_CTRL back (pci_restore_acs_state) instead of recomputing it', async () => {
    const s = port();
    const p = kernelProfile('lu-pci');
    const dev = await enumerate(p, s.access);
    await pciSaveState(p, dev);
    s.space.poke(0x148 + PCI_ACS_CTRL, 2, 0);
    const log = await pciRestoreState(p, dev);
    expect(log.filter((e) => e.fn === 'pci_restore_acs_state').map((e) => [e.offset, e.value])).toEqual([[0x148 + PCI_ACS_CTRL, 0x001d]]);
    expect(log.some((e) => e.fn === 'pci_enable_acs')).toBe(false);
  });
});

/**
 * pci_save_state (drivers/pci/pci.c) and its per-capability steps, in each profile's order.
 * The 16 header dwords are read first and state_saved is set *before* any capability is saved, so
 * the -ENOMEM returns of pci_save_pcie_state / pci_save_pcix_state / pci_save_vc_state leave
 * state_saved true (linux-pci.md 3.1).
 */
import type { KernelProfile, SaveStep } from './profile.js';
import { pciIsPcie, type PciDev } from './dev.js';
import { pciFindCapability, pciFindExtCapability } from './find-cap.js';
import { pcieCapabilityReadDword, pcieCapabilityReadWord, pcieDownstreamPort } from './pcie-access.js';
import { placeSlots } from './layouts.js';
import { writeLE } from '../../devices/bytes.js';
import { pciFindSavedCap, setU16, setU32 } from './saved-cap.js';
import { pciSaveAerState } from './aer.js';
import { pciSaveVcState } from './vc.js';
import { pcieTphGetStTableSize } from './alloc.js';
import { ENOMEM } from './errors.js';
import {
  PCI_ACS_CTRL, PCI_CAP_ID_EXP, PCI_CAP_ID_PCIX, PCI_EXP_DPC_CTL, PCI_EXT_CAP_ID_ACS, PCI_EXT_CAP_ID_DPC, PCI_EXT_CAP_ID_L1SS,
  PCI_EXT_CAP_ID_LTR, PCI_EXT_CAP_ID_PTM, PCI_EXT_CAP_ID_TPH, PCI_L1SS_CTL1, PCI_L1SS_CTL2,
  PCI_LTR_MAX_SNOOP_LAT, PCI_PTM_CTRL, PCI_TPH_BASE_SIZEOF, PCI_TPH_CTRL, PCI_X_CMD,
} from '../../devices/pci-regs.js';

export async function pciSavePcieState(profile: KernelProfile, dev: PciDev): Promise<number> {
  if (!pciIsPcie(dev)) return 0;
  const buf = pciFindSavedCap(dev, PCI_CAP_ID_EXP, false);
  if (!buf) return -ENOMEM; // "buffer not found in pci_save_pcie_state"
  // data[] order of the EXP buffer: profile.layouts.exp (DEVCTL, LNKCTL, SLTCTL, RTCTL, DEVCTL2, LNKCTL2, SLTCTL2).
  // A widened slot (a drift) is read as pcie_capability_read_dword would.
  for (const s of placeSlots(profile.layouts.exp, 2)) {
    const read = s.width === 4 ? pcieCapabilityReadDword : pcieCapabilityReadWord;
    writeLE(buf.data, s.dataOffset, s.width, s.offset < 0 ? 0 : await read(profile, dev, s.offset));
  }
  for (const inner of profile.pcieSaveInner) await runSaveStep(profile, dev, inner);
  return 0;
}

export async function pciSavePcixState(dev: PciDev): Promise<number> {
  const pos = await pciFindCapability(dev, PCI_CAP_ID_PCIX);
  if (!pos) return 0;
  const buf = pciFindSavedCap(dev, PCI_CAP_ID_PCIX, false);
  if (!buf) return -ENOMEM;
  setU16(buf.data, 0, await dev.access.config.readw(pos + PCI_X_CMD));
  return 0;
}

/** pci_save_ltr_state (pci.c in v6.1, pcie/aspm.c in v6.12+): one dword ("broken devices"). */
export async function pciSaveLtrState(dev: PciDev): Promise<void> {
  if (!pciIsPcie(dev)) return;
  const ltr = await pciFindExtCapability(dev, PCI_EXT_CAP_ID_LTR);
  if (!ltr) return;
  const buf = pciFindSavedCap(dev, PCI_EXT_CAP_ID_LTR, true);
  if (!buf) return; // "no suspend buffer for LTR; ASPM issues possible after resume"
  setU32(buf.data, 0, await dev.access.config.readl(ltr + PCI_LTR_MAX_SNOOP_LAT));
}

/** Read CTL2 then CTL1 into an L1SS buffer: data[] is { CTL2, CTL1 }. */
async function saveL1ssInto(dev: PciDev): Promise<boolean> {
  const buf = pciFindSavedCap(dev, PCI_EXT_CAP_ID_L1SS, true);
  if (!buf) return false;
  setU32(buf.data, 0, await dev.access.config.readl(dev.kernel.l1ss + PCI_L1SS_CTL2));
  setU32(buf.data, 1, await dev.access.config.readl(dev.kernel.l1ss + PCI_L1SS_CTL1));
  return true;
}

/**
 * pcie/aspm.c pci_save_aspm_l1ss_state.
 *  v6.1 ('own', a stub without CONFIG_PCIEASPM) and v6.12 ('link'): the device's own registers.
 *  v6.19+ ('link+parent'): only from the downstream component of a link whose both ends have
 *  L1SS, and the parent's buffer is overwritten with the parent's current registers too.
 */
export async function pciSaveAspmL1ssState(profile: KernelProfile, dev: PciDev): Promise<void> {
  if (profile.l1ss === 'none') return;
  if (profile.l1ss === 'own' && !profile.kconfig.PCIEASPM) return;
  if (profile.l1ss === 'link+parent') {
    const parent = dev.parent;
    if (pcieDownstreamPort(dev) || !parent) return;
    if (!dev.kernel.l1ss || !parent.kernel.l1ss) return;
    if (!(await saveL1ssInto(dev))) return;
    await saveL1ssInto(parent);
    return;
  }
  if (!dev.kernel.l1ss) return;
  await saveL1ssInto(dev);
}

/** pcie/dpc.c pci_save_dpc_state: u16 DPC_CTL at dev->dpc_cap. */
export async function pciSaveDpcState(dev: PciDev): Promise<void> {
  if (!pciIsPcie(dev)) return;
  const buf = pciFindSavedCap(dev, PCI_EXT_CAP_ID_DPC, true);
  if (!buf) return;
  setU16(buf.data, 0, await dev.access.config.readw(dev.kernel.dpcCap + PCI_EXP_DPC_CTL));
}

/** pcie/ptm.c pci_save_ptm_state. */
export async function pciSavePtmState(dev: PciDev): Promise<void> {
  const ptm = dev.kernel.ptmCap;
  if (!ptm) return;
  const buf = pciFindSavedCap(dev, PCI_EXT_CAP_ID_PTM, true);
  if (!buf) return;
  setU32(buf.data, 0, await dev.access.config.readl(ptm + PCI_PTM_CTRL));
}

/** tph.c pci_save_tph_state (v6.19+): only when tph_enabled; TPH_CTRL then the ST table. */
export async function pciSaveTphState(dev: PciDev): Promise<void> {
  const tph = dev.kernel.tphCap;
  if (!tph || !dev.kernel.tphEnabled) return;
  const buf = pciFindSavedCap(dev, PCI_EXT_CAP_ID_TPH, true);
  if (!buf) return;
  setU32(buf.data, 0, await dev.access.config.readl(tph + PCI_TPH_CTRL));
  const n = await pcieTphGetStTableSize(dev);
  for (let i = 0; i < n; i++) setU16(buf.data, 2 + i, await dev.access.config.readw(tph + PCI_TPH_BASE_SIZEOF + 2 * i));
}

/** lu-pci: the saved ACS Control register (u16 at dev->acs_cap + PCI_ACS_CTRL). */
export async function pciSaveAcsState(dev: PciDev): Promise<void> {
  const pos = await pciFindExtCapability(dev, PCI_EXT_CAP_ID_ACS);
  const buf = pciFindSavedCap(dev, PCI_EXT_CAP_ID_ACS, true);
  if (!pos || !buf) return;
  setU16(buf.data, 0, await dev.access.config.readw(pos + PCI_ACS_CTRL));
}

async function runSaveStep(profile: KernelProfile, dev: PciDev, step: SaveStep): Promise<number> {
  return dev.log.run(step, async () => {
    switch (step) {
      case 'pci_save_pcie_state': return pciSavePcieState(profile, dev);
      case 'pci_save_pcix_state': return pciSavePcixState(dev);
      case 'pci_save_ltr_state': await pciSaveLtrState(dev); return 0;
      case 'pci_save_aspm_l1ss_state': await pciSaveAspmL1ssState(profile, dev); return 0;
      case 'pci_save_dpc_state': await pciSaveDpcState(dev); return 0;
      case 'pci_save_aer_state': await pciSaveAerState(profile, dev); return 0;
      case 'pci_save_ptm_state': await pciSavePtmState(dev); return 0;
      case 'pci_save_tph_state': await pciSaveTphState(dev); return 0;
      case 'pci_save_acs_state': await pciSaveAcsState(dev); return 0;
      case 'pci_save_vc_state': return pciSaveVcState(dev);
    }
  });
}

/** pci_save_state: returns 0 or the first negative errno, as the kernel does. */
export async function pciSaveState(profile: KernelProfile, dev: PciDev): Promise<number> {
  return dev.log.run('pci_save_state', async () => {
    for (let i = 0; i < 16; i++) dev.saved.savedConfigSpace[i] = await dev.access.config.readl(i * 4);
    dev.saved.stateSaved = true;
    for (const step of profile.saveOrder) {
      const ret = await runSaveStep(profile, dev, step);
      if (ret !== 0) return ret;
    }
    return 0;
  });
}

/** bus.c pci_bus_add_device: v6.19+ and 6.12.70+ save "for error recoverability" (a2f1e22390ac). */
export async function pciBusAddDevice(profile: KernelProfile, dev: PciDev): Promise<number> {
  if (!profile.saveAtBusAddDevice) return 0;
  return dev.log.run('pci_bus_add_device', () => pciSaveState(profile, dev));
}

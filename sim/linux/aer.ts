/** pcie/aer.c save/restore and status clearing (identical in v6.1 and v7.1). */
import type { PciDev } from './dev.js';
import type { KernelProfile } from './profile.js';
import { pciPcieType } from './dev.js';
import { pcieCapHasRtctl } from './pcie-access.js';
import { pciFindSavedCap } from './saved-cap.js';
import { aerSlots, type PlacedSlot } from './layouts.js';
import { readWidth, writeWidth } from '../../devices/access.js';
import { readLE, writeLE } from '../../devices/bytes.js';
import {
  PCI_ERR_COR_STATUS, PCI_ERR_ROOT_STATUS, PCI_ERR_UNCOR_STATUS, PCI_EXP_TYPE_RC_EC, PCI_EXP_TYPE_ROOT_PORT,
  PCI_EXT_CAP_ID_ERR,
} from '../../devices/pci-regs.js';

/**
 * data[] order of the AER buffer: 4 dwords, plus ROOT_COMMAND when pcie_cap_has_rtctl
 * (profile.layouts); a narrowed slot (a drift) is a word, read with pci_read_config_word.
 */
function aerSavedSlots(profile: KernelProfile, dev: PciDev): readonly PlacedSlot[] {
  return aerSlots(profile.layouts, pcieCapHasRtctl(dev));
}

/**
 * pci_aer_raw_clear_status: RW1C write-back of what was just read: ROOT_STATUS (Root Port, RCEC),
 * then COR_STATUS, then UNCOR_STATUS.
 */
export async function pciAerRawClearStatus(dev: PciDev): Promise<void> {
  const aer = dev.kernel.aerCap;
  if (!aer) return;
  const c = dev.access.config;
  const t = pciPcieType(dev);
  if (t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_RC_EC) {
    await c.writel(aer + PCI_ERR_ROOT_STATUS, await c.readl(aer + PCI_ERR_ROOT_STATUS));
  }
  await c.writel(aer + PCI_ERR_COR_STATUS, await c.readl(aer + PCI_ERR_COR_STATUS));
  await c.writel(aer + PCI_ERR_UNCOR_STATUS, await c.readl(aer + PCI_ERR_UNCOR_STATUS));
}

/** pci_aer_clear_status: only when pcie_aer_is_native (dev->aer_cap and native AER). */
export async function pciAerClearStatus(dev: PciDev): Promise<void> {
  if (!dev.kernel.aerCap || !dev.kernel.aerNative) return;
  await pciAerRawClearStatus(dev);
}

export async function pciSaveAerState(profile: KernelProfile, dev: PciDev): Promise<void> {
  const aer = dev.kernel.aerCap;
  if (!aer) return;
  const buf = pciFindSavedCap(dev, PCI_EXT_CAP_ID_ERR, true);
  if (!buf) return;
  for (const s of aerSavedSlots(profile, dev)) {
    writeLE(buf.data, s.dataOffset, s.width, s.offset < 0 ? 0 : await readWidth(dev.access.config, aer + s.offset, s.width));
  }
}

export async function pciRestoreAerState(profile: KernelProfile, dev: PciDev): Promise<void> {
  const aer = dev.kernel.aerCap;
  if (!aer) return;
  const buf = pciFindSavedCap(dev, PCI_EXT_CAP_ID_ERR, true);
  if (!buf) return;
  for (const s of aerSavedSlots(profile, dev)) {
    if (s.offset >= 0) await writeWidth(dev.access.config, aer + s.offset, s.width, readLE(buf.data, s.dataOffset, s.width));
  }
}

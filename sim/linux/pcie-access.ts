/**
 * drivers/pci/access.c PCI Express capability accessors. pcie_capability_reg_implemented decides
 * whether a register exists for this port type and capability version; unimplemented registers
 * read as 0 (SLTSTA reads PDS on downstream ports) and writes to them are silently skipped. That
 * is why RTCTL/SLTCTL on endpoints and SLTCTL2 always are saved as 0 and never restored
 * (SLTCTL2 appears in no case of the switch, in v6.1, v6.12 and v7.1).
 */
import type { KernelProfile } from './profile.js';
import { pciIsPcie, pciPcieType, type PciDev } from './dev.js';
import {
  PCI_EXP_DEVCAP, PCI_EXP_DEVCAP2, PCI_EXP_DEVCTL, PCI_EXP_DEVCTL2, PCI_EXP_DEVSTA, PCI_EXP_FLAGS,
  PCI_EXP_FLAGS_SLOT, PCI_EXP_FLAGS_VERS, PCI_EXP_LNKCAP, PCI_EXP_LNKCAP2, PCI_EXP_LNKCTL, PCI_EXP_LNKCTL2,
  PCI_EXP_LNKSTA, PCI_EXP_LNKSTA2, PCI_EXP_RTCAP, PCI_EXP_RTCTL, PCI_EXP_RTSTA, PCI_EXP_SLTCAP,
  PCI_EXP_SLTCTL, PCI_EXP_SLTSTA, PCI_EXP_SLTSTA_PDS, PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_ENDPOINT,
  PCI_EXP_TYPE_LEG_END, PCI_EXP_TYPE_PCIE_BRIDGE, PCI_EXP_TYPE_PCI_BRIDGE, PCI_EXP_TYPE_RC_EC,
  PCI_EXP_TYPE_ROOT_PORT, PCI_EXP_TYPE_UPSTREAM,
} from '../../devices/pci-regs.js';

/** pcie_cap_version: PCI_EXP_FLAGS_VERS of the cached flags. */
export const pcieCapVersion = (dev: PciDev): number => dev.kernel.pcieFlags & PCI_EXP_FLAGS_VERS;

/** drivers/pci/pci.h pcie_downstream_port. */
export function pcieDownstreamPort(dev: PciDev): boolean {
  const t = pciPcieType(dev);
  return t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_DOWNSTREAM || t === PCI_EXP_TYPE_PCIE_BRIDGE;
}

export function pcieCapHasLnkctl(dev: PciDev): boolean {
  const t = pciPcieType(dev);
  return t === PCI_EXP_TYPE_ENDPOINT || t === PCI_EXP_TYPE_LEG_END || t === PCI_EXP_TYPE_ROOT_PORT ||
    t === PCI_EXP_TYPE_UPSTREAM || t === PCI_EXP_TYPE_DOWNSTREAM || t === PCI_EXP_TYPE_PCI_BRIDGE ||
    t === PCI_EXP_TYPE_PCIE_BRIDGE;
}

export const pcieCapHasSltctl = (dev: PciDev): boolean => pcieDownstreamPort(dev) && (dev.kernel.pcieFlags & PCI_EXP_FLAGS_SLOT) !== 0;

/** pcie_cap_has_rtctl: Root Port or RCEC (also decides the AER buffer size, aer.c pci_aer_init). */
export function pcieCapHasRtctl(dev: PciDev): boolean {
  const t = pciPcieType(dev);
  return t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_RC_EC;
}

export function pcieCapabilityRegImplemented(profile: KernelProfile, dev: PciDev, pos: number): boolean {
  if (!pciIsPcie(dev)) return false;
  switch (pos) {
    case PCI_EXP_FLAGS:
    case PCI_EXP_DEVCAP:
    case PCI_EXP_DEVCTL:
    case PCI_EXP_DEVSTA:
      return true;
    case PCI_EXP_LNKCAP:
    case PCI_EXP_LNKCTL:
    case PCI_EXP_LNKSTA:
      return pcieCapHasLnkctl(dev);
    case PCI_EXP_SLTCAP:
    case PCI_EXP_SLTCTL:
    case PCI_EXP_SLTSTA:
      return pcieCapHasSltctl(dev);
    case PCI_EXP_RTCTL:
    case PCI_EXP_RTCAP:
    case PCI_EXP_RTSTA:
      return pcieCapHasRtctl(dev);
    case PCI_EXP_DEVCAP2:
    case PCI_EXP_DEVCTL2:
      return pcieCapVersion(dev) > 1;
    case PCI_EXP_LNKCAP2:
    case PCI_EXP_LNKCTL2:
    case PCI_EXP_LNKSTA2:
      // v6.1: version > 1 only; v6.12+: pcie_cap_has_lnkctl2 = has_lnkctl && version > 1.
      return profile.lnk2Rule === 'version' ? pcieCapVersion(dev) > 1 : pcieCapHasLnkctl(dev) && pcieCapVersion(dev) > 1;
    default:
      return false;
  }
}

export async function pcieCapabilityReadWord(profile: KernelProfile, dev: PciDev, pos: number): Promise<number> {
  if (pos & 1) return 0;
  if (pcieCapabilityRegImplemented(profile, dev, pos)) return dev.access.config.readw(dev.kernel.pcieCap + pos);
  // PCIe r3.0 7.8: a downstream port without a slot hardwires Presence Detect State to 1.
  if (pciIsPcie(dev) && pcieDownstreamPort(dev) && pos === PCI_EXP_SLTSTA) return PCI_EXP_SLTSTA_PDS;
  return 0;
}

export async function pcieCapabilityReadDword(profile: KernelProfile, dev: PciDev, pos: number): Promise<number> {
  if (pos & 3) return 0;
  // access.c also tests pos == PCI_EXP_SLTSTA here, which a dword-aligned pos never equals.
  if (pcieCapabilityRegImplemented(profile, dev, pos)) return dev.access.config.readl(dev.kernel.pcieCap + pos);
  return 0;
}

export async function pcieCapabilityWriteWord(profile: KernelProfile, dev: PciDev, pos: number, val: number): Promise<void> {
  if (pos & 1) return;
  if (!pcieCapabilityRegImplemented(profile, dev, pos)) return;
  await dev.access.config.writew(dev.kernel.pcieCap + pos, val);
}

/** access.c pcie_capability_write_dword: dword-aligned, and only to an implemented register. */
export async function pcieCapabilityWriteDword(profile: KernelProfile, dev: PciDev, pos: number, val: number): Promise<void> {
  if (pos & 3) return;
  if (!pcieCapabilityRegImplemented(profile, dev, pos)) return;
  await dev.access.config.writel(dev.kernel.pcieCap + pos, val);
}

/** pcie_capability_set_word = pcie_capability_clear_and_set_word(dev, pos, 0, set). */
export async function pcieCapabilitySetWord(profile: KernelProfile, dev: PciDev, pos: number, set: number): Promise<void> {
  const v = await pcieCapabilityReadWord(profile, dev, pos);
  await pcieCapabilityWriteWord(profile, dev, pos, v | set);
}

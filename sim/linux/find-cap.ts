/**
 * The PciDev forms of the kernel's capability lookups (devices/find-cap.ts holds the one
 * implementation): pci_find_capability, pci_find_next_ext_capability and pci_find_ext_capability
 * read dev->hdr_type and dev->cfg_size from dev.kernel, and pci_setup_device fills them.
 */
import {
  type CapLookup, pciFindCapability as findCap, pciFindNextExtCapability as findNextExt, pciSetupCapLookup,
} from '../../devices/find-cap.js';
import type { PciDev } from './dev.js';

const lookup = (dev: PciDev): CapLookup => ({ config: dev.access.config, hdrType: dev.kernel.hdrType, cfgSize: dev.kernel.cfgSize });

export const pciFindCapability = (dev: PciDev, cap: number): Promise<number> => findCap(lookup(dev), cap);

export const pciFindNextExtCapability = (dev: PciDev, start: number, cap: number): Promise<number> => findNextExt(lookup(dev), start, cap);

export const pciFindExtCapability = (dev: PciDev, cap: number): Promise<number> => pciFindNextExtCapability(dev, 0, cap);

/** probe.c pci_setup_device: dev->hdr_type, pcie_cap, pcie_flags_reg and cfg_size (devices/find-cap.ts pciSetupCapLookup). */
export async function pciSetupDevice(dev: PciDev): Promise<void> {
  const { hdrType, cfgSize, pcieCap, pcieFlags } = await pciSetupCapLookup(dev.access.config);
  Object.assign(dev.kernel, { hdrType, cfgSize, pcieCap, pcieFlags });
}

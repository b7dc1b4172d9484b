/**
 * The PciDev forms of the kernel's capability lookups (devices/find-cap.ts holds the one
 * implementation): pci_find_capability, pci_find_next_ext_capability and pci_find_ext_capability
 * read dev->hdr_type and dev->cfg_size from dev.kernel, and pci_setup_device fills them.
 */
import {
  type CapLookup, pciFindCapability as findCap, pciFindNextExtCapability as findNextExt, pciSetupCapLookup,
} from '../../devices/find-cap.js';
import {
  PCI_EXT_CAP_ID_REBAR, PCI_REBAR_CTRL, PCI_REBAR_CTRL_BAR_IDX, PCI_REBAR_CTRL_BAR_SIZE, PCI_REBAR_CTRL_NBAR_MASK,
} from '../../devices/pci-regs.js';
import type { PciDev } from './dev.js';

const lookup = (dev: PciDev): CapLookup => ({ config: dev.access.config, hdrType: dev.kernel.hdrType, cfgSize: dev.kernel.cfgSize });

export const pciFindCapability = (dev: PciDev, cap: number): Promise<number> => findCap(lookup(dev), cap);

export const pciFindNextExtCapability = (dev: PciDev, start: number, cap: number): Promise<number> => findNextExt(lookup(dev), start, cap);

export const pciFindExtCapability = (dev: PciDev, cap: number): Promise<number> => pciFindNextExtCapability(dev, 0, cap);

/**
 * probe.c pci_setup_device: dev->hdr_type, pcie_cap, pcie_flags_reg and cfg_size (devices/find-cap.ts
 * pciSetupCapLookup), then pci_read_bases' resource sizes as far as the model needs them.
 */
export async function pciSetupDevice(dev: PciDev): Promise<void> {
  const { hdrType, cfgSize, pcieCap, pcieFlags } = await pciSetupCapLookup(dev.access.config);
  Object.assign(dev.kernel, { hdrType, cfgSize, pcieCap, pcieFlags });
  dev.kernel.resourceSizes = await rebarSizes(dev, PCI_EXT_CAP_ID_REBAR);
}

/**
 * resource_size() of each resizable BAR as pci_read_bases (__pci_read_base) finds it: the sizing
 * write of all-ones reads back the size the BAR's Resizable BAR Control selects at that moment
 * (PCIe r6.0 7.8.6.3: BAR Size sets the BAR's size, 2^(BAR Size + 20) bytes). So kernel B's
 * pci_restore_rebar_state writes back the size the BAR had when B enumerated it: a BAR keeps its
 * size across a kexec unless a reset changed it. Other BARs are not sized here (nothing reads them).
 * The same holds for the VF BARs a VF Resizable BAR capability covers (iov.c sriov_init sizes them
 * into iov->barsz): `capId` is PCI_EXT_CAP_ID_REBAR or PCI_EXT_CAP_ID_VF_REBAR.
 */
export async function rebarSizes(dev: PciDev, capId: number): Promise<number[]> {
  const sizes: number[] = [];
  let pos = await pciFindExtCapability(dev, capId);
  if (!pos) return sizes;
  const c = dev.access.config;
  const nbars = ((await c.readl(pos + PCI_REBAR_CTRL)) & PCI_REBAR_CTRL_NBAR_MASK) >>> 5;
  for (let i = 0; i < nbars; i++, pos += 8) {
    const ctrl = await c.readl(pos + PCI_REBAR_CTRL);
    sizes[ctrl & PCI_REBAR_CTRL_BAR_IDX] = 2 ** (((ctrl & PCI_REBAR_CTRL_BAR_SIZE) >>> 8) + 20);
  }
  return sizes;
}

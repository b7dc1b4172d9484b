/**
 * Capability lookup exactly as drivers/pci/pci.c does it, over a ConfigAccess.
 *  - pci_find_capability: __pci_bus_find_cap_start (Status.CAP_LIST, 0x34 or CardBus 0x14), then
 *    __pci_find_next_cap_ttl (v6.1) / PCI_FIND_NEXT_CAP (v7.1 pci.h): at most PCI_FIND_CAP_TTL = 48
 *    hops, stop on a pointer below 0x40, align the pointer down to 4, stop on ID 0xff.
 *  - pci_find_ext_capability: 0 unless cfg_size > 256; start at 0x100; header 0 means none;
 *    at most (4096 - 256) / 8 = 480 hops; PCI_EXT_CAP_NEXT masks with 0xffc; a next pointer
 *    below 0x100 ends the walk. v6.1's loop and v7.1's PCI_FIND_NEXT_EXT_CAP macro agree.
 */
import type { ConfigAccess } from '../../devices/access.js';
import type { PciDev } from './dev.js';
import {
  PCI_CAPABILITY_LIST, PCI_CAP_ID_EXP, PCI_CB_CAPABILITY_LIST, PCI_CFG_SPACE_EXP_SIZE, PCI_CFG_SPACE_SIZE,
  PCI_EXP_FLAGS, PCI_HEADER_TYPE, PCI_HEADER_TYPE_BRIDGE, PCI_HEADER_TYPE_CARDBUS, PCI_HEADER_TYPE_NORMAL,
  PCI_STATUS, PCI_STATUS_CAP_LIST, PCI_STD_HEADER_SIZEOF, pciExtCapId, pciExtCapNext,
} from './regs.js';

export const PCI_FIND_CAP_TTL = 48;

/** __pci_find_next_cap_ttl: `pos` is the offset of a pointer byte (0x34 or a capability's +1). */
export async function pciFindNextCapTtl(c: ConfigAccess, pos: number, cap: number): Promise<number> {
  let ttl = PCI_FIND_CAP_TTL;
  let p = await c.readb(pos);
  while (ttl-- > 0) {
    if (p < PCI_STD_HEADER_SIZEOF) break;
    p &= ~3;
    const ent = await c.readw(p);
    const id = ent & 0xff;
    if (id === 0xff) break;
    if (id === cap) return p;
    p = ent >> 8;
  }
  return 0;
}

/** __pci_bus_find_cap_start. */
export async function pciBusFindCapStart(c: ConfigAccess, hdrType: number): Promise<number> {
  const status = await c.readw(PCI_STATUS);
  if (!(status & PCI_STATUS_CAP_LIST)) return 0;
  if (hdrType === PCI_HEADER_TYPE_NORMAL || hdrType === PCI_HEADER_TYPE_BRIDGE) return PCI_CAPABILITY_LIST;
  if (hdrType === PCI_HEADER_TYPE_CARDBUS) return PCI_CB_CAPABILITY_LIST;
  return 0;
}

export async function pciFindCapability(dev: PciDev, cap: number): Promise<number> {
  const c = dev.access.config;
  const start = await pciBusFindCapStart(c, dev.kernel.hdrType);
  return start ? pciFindNextCapTtl(c, start, cap) : 0;
}

/** pci_find_next_ext_capability(dev, start, cap). */
export async function pciFindNextExtCapability(dev: PciDev, start: number, cap: number): Promise<number> {
  if (dev.kernel.cfgSize <= PCI_CFG_SPACE_SIZE) return 0;
  const c = dev.access.config;
  let pos = start || PCI_CFG_SPACE_SIZE;
  let ttl = (PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 8;
  let header = await c.readl(pos);
  if (header === 0) return 0;
  while (ttl-- > 0) {
    if (pciExtCapId(header) === cap && pos !== start) return pos;
    pos = pciExtCapNext(header);
    if (pos < PCI_CFG_SPACE_SIZE) break;
    header = await c.readl(pos);
  }
  return 0;
}

export const pciFindExtCapability = (dev: PciDev, cap: number): Promise<number> => pciFindNextExtCapability(dev, 0, cap);

/**
 * The part of probe.c pci_setup_device the steps depend on: dev->hdr_type (& 0x7f),
 * set_pcie_port_type (pcie_cap, pcie_flags_reg) and pci_cfg_space_size. Of the latter only the
 * PCIe rule is modelled (4096 unless the dword at 0x100 reads all-ones); PCI-X 2.0 266/533
 * functions, which also get 4096, are sized at 256 here.
 */
export async function pciSetupDevice(dev: PciDev): Promise<void> {
  const c = dev.access.config;
  const k = dev.kernel;
  k.hdrType = (await c.readb(PCI_HEADER_TYPE)) & 0x7f;
  k.cfgSize = PCI_CFG_SPACE_SIZE;
  k.pcieCap = await pciFindCapability(dev, PCI_CAP_ID_EXP);
  k.pcieFlags = k.pcieCap ? await c.readw(k.pcieCap + PCI_EXP_FLAGS) : 0;
  if (k.pcieCap && c.size > PCI_CFG_SPACE_SIZE && (await c.readl(PCI_CFG_SPACE_SIZE)) !== 0xffffffff) {
    k.cfgSize = PCI_CFG_SPACE_EXP_SIZE;
  }
}

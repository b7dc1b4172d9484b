/**
 * Capability lookup exactly as the kernel does it, over a ConfigAccess, so the same code runs
 * against the model and against QEMU. The one implementation for sim/linux (through its PciDev
 * wrappers), sim/kexec-sim and the tests; devices/walker.ts shares its TTLs.
 *  - pci_find_capability: __pci_bus_find_cap_start (Status.CAP_LIST, 0x34 for header types 0 and
 *    1, 0x14 for CardBus, none otherwise), then __pci_find_next_cap_ttl (v6.1 drivers/pci/pci.c) /
 *    PCI_FIND_NEXT_CAP (v7.1 drivers/pci/pci.h): at most PCI_FIND_CAP_TTL hops, stop on a pointer
 *    below 0x40, align the pointer down to 4, stop on ID 0xff.
 *  - pci_find_next_ext_capability: 0 unless cfg_size > 256; start at 0x100; header 0 means none;
 *    at most (4096 - 256) / 8 hops; PCI_EXT_CAP_NEXT masks with 0xffc; a next pointer below 0x100
 *    ends the walk. v6.1's loop and v7.1's PCI_FIND_NEXT_EXT_CAP macro agree.
 */
import type { ConfigAccess } from './access.js';
import {
  PCI_CAPABILITY_LIST, PCI_CAP_ID_EXP, PCI_CB_CAPABILITY_LIST, PCI_CFG_SPACE_EXP_SIZE, PCI_CFG_SPACE_SIZE,
  PCI_EXP_FLAGS, PCI_EXT_CAP_ID, PCI_EXT_CAP_NEXT, PCI_HEADER_TYPE, PCI_HEADER_TYPE_BRIDGE,
  PCI_HEADER_TYPE_CARDBUS, PCI_HEADER_TYPE_MASK, PCI_HEADER_TYPE_NORMAL, PCI_STATUS, PCI_STATUS_CAP_LIST,
  PCI_STD_HEADER_SIZEOF,
} from './pci-regs.js';

/** drivers/pci/pci.c (v6.1) / drivers/pci/pci.h (v7.1). */
export const PCI_FIND_CAP_TTL = 48;
/** The extended walk's bound in pci_find_next_ext_capability: one hop per 8 bytes of extended space. */
export const PCI_EXT_CAP_TTL = (PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 8;

/** The struct pci_dev fields the lookups read: the config accessor, dev->hdr_type and dev->cfg_size. */
export interface CapLookup {
  readonly config: ConfigAccess;
  readonly hdrType: number;
  readonly cfgSize: number;
}

/** What probe.c pci_setup_device learns before any capability user runs (see pciSetupCapLookup). */
export interface SetupCapLookup extends CapLookup {
  /** pci_pcie_cap(dev); 0 when not PCIe. */
  readonly pcieCap: number;
  /** pcie_caps_reg(dev): PCI_EXP_FLAGS; 0 when not PCIe. */
  readonly pcieFlags: number;
}

/** __pci_find_next_cap_ttl: `pos` is the offset of a pointer byte (0x34 or a capability's +1). */
async function pciFindNextCapTtl(c: ConfigAccess, pos: number, cap: number): Promise<number> {
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
async function pciBusFindCapStart(c: ConfigAccess, hdrType: number): Promise<number> {
  const status = await c.readw(PCI_STATUS);
  if (!(status & PCI_STATUS_CAP_LIST)) return 0;
  if (hdrType === PCI_HEADER_TYPE_NORMAL || hdrType === PCI_HEADER_TYPE_BRIDGE) return PCI_CAPABILITY_LIST;
  if (hdrType === PCI_HEADER_TYPE_CARDBUS) return PCI_CB_CAPABILITY_LIST;
  return 0;
}

/** pci_find_capability(dev, cap). */
export async function pciFindCapability(d: CapLookup, cap: number): Promise<number> {
  const start = await pciBusFindCapStart(d.config, d.hdrType);
  return start ? pciFindNextCapTtl(d.config, start, cap) : 0;
}

/** pci_find_next_ext_capability(dev, start, cap). */
export async function pciFindNextExtCapability(d: CapLookup, start: number, cap: number): Promise<number> {
  if (d.cfgSize <= PCI_CFG_SPACE_SIZE) return 0;
  const c = d.config;
  let pos = start || PCI_CFG_SPACE_SIZE;
  let ttl = PCI_EXT_CAP_TTL;
  let header = await c.readl(pos);
  if (header === 0) return 0;
  while (ttl-- > 0) {
    if (PCI_EXT_CAP_ID(header) === cap && pos !== start) return pos;
    pos = PCI_EXT_CAP_NEXT(header);
    if (pos < PCI_CFG_SPACE_SIZE) break;
    header = await c.readl(pos);
  }
  return 0;
}

/** pci_find_ext_capability(dev, cap). */
export const pciFindExtCapability = (d: CapLookup, cap: number): Promise<number> => pciFindNextExtCapability(d, 0, cap);

/**
 * The part of probe.c pci_setup_device the lookups depend on: dev->hdr_type (& 0x7f),
 * set_pcie_port_type (pcie_cap, pcie_flags_reg) and pci_cfg_space_size. Of the latter only the
 * PCIe rule is modelled (4096 unless the dword at 0x100 reads all-ones); PCI-X 2.0 266/533
 * functions, which also get 4096, are sized at 256 here.
 */
export async function pciSetupCapLookup(c: ConfigAccess): Promise<SetupCapLookup> {
  const hdrType = (await c.readb(PCI_HEADER_TYPE)) & PCI_HEADER_TYPE_MASK;
  const pcieCap = await pciFindCapability({ config: c, hdrType, cfgSize: PCI_CFG_SPACE_SIZE }, PCI_CAP_ID_EXP);
  const pcieFlags = pcieCap ? await c.readw(pcieCap + PCI_EXP_FLAGS) : 0;
  const ext = pcieCap !== 0 && c.size > PCI_CFG_SPACE_SIZE && (await c.readl(PCI_CFG_SPACE_SIZE)) !== 0xffffffff;
  return { config: c, hdrType, cfgSize: ext ? PCI_CFG_SPACE_EXP_SIZE : PCI_CFG_SPACE_SIZE, pcieCap, pcieFlags };
}

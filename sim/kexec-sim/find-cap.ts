/**
 * Capability lookup through ConfigAccess, as the kernel does it on every call (so the steps run
 * unchanged against QEMU): drivers/pci/pci.c __pci_find_next_cap_ttl (48 hops, pointer < 0x40
 * ends, aligned down, ID 0xff ends) and pci_find_next_ext_capability ((4096-256)/8 hops, header
 * 0 or all-ones means none, next < 0x100 ends). Extended lookups need a PCIe function
 * (pci_cfg_space_size gives other functions 256 bytes).
 */
import type { ConfigAccess } from '../../devices/access.js';
import { PCI_CAPABILITY_LIST, PCI_CB_CAPABILITY_LIST, PCI_HEADER_TYPE, PCI_HEADER_TYPE_CARDBUS, PCI_STATUS, PCI_STATUS_CAP_LIST } from '../../devices/header.js';

const PCI_FIND_CAP_TTL = 48;
const PCI_CFG_SPACE_SIZE = 256;
const PCI_EXT_CAP_TTL = (4096 - PCI_CFG_SPACE_SIZE) / 8;

export async function pciFindCapability(c: ConfigAccess, id: number): Promise<number> {
  if (((await c.readw(PCI_STATUS)) & PCI_STATUS_CAP_LIST) === 0) return 0;
  const hdr = (await c.readb(PCI_HEADER_TYPE)) & 0x7f;
  let pos = await c.readb(hdr === PCI_HEADER_TYPE_CARDBUS ? PCI_CB_CAPABILITY_LIST : PCI_CAPABILITY_LIST);
  for (let ttl = PCI_FIND_CAP_TTL; ttl > 0; ttl--) {
    if (pos < 0x40) return 0;
    pos &= ~3;
    const ent = await c.readw(pos);
    const capId = ent & 0xff;
    if (capId === 0xff) return 0;
    if (capId === id) return pos;
    pos = ent >> 8;
  }
  return 0;
}

export async function pciFindExtCapability(c: ConfigAccess, id: number): Promise<number> {
  if (c.size <= PCI_CFG_SPACE_SIZE) return 0;
  let pos = PCI_CFG_SPACE_SIZE;
  let header = await c.readl(pos);
  if (header === 0 || header === 0xffffffff) return 0;
  for (let ttl = PCI_EXT_CAP_TTL; ttl > 0; ttl--) {
    if ((header & 0xffff) === id && pos !== 0) return pos;
    pos = (header >>> 20) & 0xffc;
    if (pos < PCI_CFG_SPACE_SIZE) return 0;
    header = await c.readl(pos);
  }
  return 0;
}

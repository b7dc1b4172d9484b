/**
 * Root Complex Link Declaration (PCI_EXT_CAP_ID_RCLD, 0x0005).
 * Spec: PCIe Base r6.0, "Root Complex Link Declaration Extended Capability".
 *
 *   +0x00        PCI_EXT_CAP_HEADER
 *   +0x04        Element Self Description: element type [3:0], number of link entries [15:8],
 *                component ID [23:16], port number [31:24]                           HwInit
 *   +0x10 + 16i  link entry i: description (+0: valid [0], type [1], associate RCRB [2],
 *                target component [23:16], target port [31:24]), address (+8, u64)     HwInit
 *
 * Size: 0x10 + 16 per link entry (pciutils PCI_RCLINK_LINK1, PCI_RCLINK_LINK_SIZE); the entry count
 * is the byte at +5, clamped to the 239 entries extended config space can hold, so a garbage count
 * never describes a structure larger than config space.
 * Save/restore: Linux saves none of it (VFIO's pci_ext_cap_length: "root only - don't care").
 * Reset: HwInit, kept across resets but a cold one.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, whole, type RegisterDef } from '../registers.js';
import { extCapHeader, extCapVersion } from './header-fields.js';

export const PCI_EXT_CAP_ID_RCLD = 0x05;
export const PCI_RCLINK_ESD = 4;
export const PCI_RCLINK_LINK1 = 0x10;

/** (0x1000 - 0x100 - PCI_RCLINK_LINK1) / 16. */
const MAX_LINKS = 239;
const links = (c: CapReader) => Math.min(c.readb(PCI_RCLINK_ESD + 1), MAX_LINKS);

function linkEntry(i: number): RegisterDef[] {
  const at = PCI_RCLINK_LINK1 + 16 * i;
  return [
    r(`PCI_RCLINK_LINK_DESC[${i}]`, at, 4, [
      f('PCI_RCLINK_LINK_VALID', 0, 'HwInit'), f('PCI_RCLINK_LINK_TYPE', 1, 'HwInit'), f('PCI_RCLINK_LINK_ASSOC_RCRB', 2, 'HwInit'),
      f('PCI_RCLINK_LINK_COMPONENT', [23, 16], 'HwInit'), f('PCI_RCLINK_LINK_PORT', [31, 24], 'HwInit'),
    ]),
    whole(`PCI_RCLINK_LINK_ADDR_LO[${i}]`, at + 8, 4, 'HwInit'),
    whole(`PCI_RCLINK_LINK_ADDR_HI[${i}]`, at + 12, 4, 'HwInit'),
  ];
}

export const rcld: CapabilityDef = {
  id: PCI_EXT_CAP_ID_RCLD,
  extended: true,
  key: 'rcld',
  linuxId: 'PCI_EXT_CAP_ID_RCLD',
  name: 'Root Complex Link',
  spec: 'PCIe r6.0, Root Complex Link Declaration Extended Capability',
  version: extCapVersion,
  size: (c) => PCI_RCLINK_LINK1 + 16 * links(c),
  registers: (c) => [
    ...extCapHeader(),
    r('PCI_RCLINK_ESD', PCI_RCLINK_ESD, 4, [
      f('PCI_RCLINK_ESD_TYPE', [3, 0], 'HwInit'), f('PCI_RCLINK_ESD_LINKS', [15, 8], 'HwInit'),
      f('PCI_RCLINK_ESD_COMPONENT', [23, 16], 'HwInit'), f('PCI_RCLINK_ESD_PORT', [31, 24], 'HwInit'),
    ]),
    ...Array.from({ length: links(c) }, (_, i) => linkEntry(i)).flat(),
  ],
};

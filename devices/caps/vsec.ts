/**
 * Vendor-Specific Extended Capability (PCI_EXT_CAP_ID_VNDR, 0x000b).
 * Spec: PCIe Base r6.0 7.9.5 "Vendor-Specific Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_VNDR_HEADER  ID[15:0] REV[19:16] LEN[31:20]   RO
 *   +0x08  vendor-defined registers, up to LEN bytes from the capability start
 *
 * Size: PCI_VNDR_HEADER_LEN (12 bits, so never more than 4095); a LEN below the 8 header bytes is
 * malformed and sized as 8. A LEN running past config space is left for the walker to flag.
 * The vendor-defined body has no spec attributes: its bytes stay unclaimed (read-only) unless a
 * device profile declares them.
 * Save/restore: Linux saves nothing of it (no save buffer, linux-pci.md 2.2); vendor drivers
 * read it with pci_find_vsec_capability.
 * Reset: vendor-defined.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import { PCI_EXT_CAP_ID_VNDR, PCI_VNDR_HEADER } from '../pci-regs.js';

const VSEC_MIN_SIZE = 8;

export function vsecLength(c: CapReader): number {
  return Math.max(c.readl(PCI_VNDR_HEADER) >>> 20, VSEC_MIN_SIZE);
}

export const vsec: CapabilityDef = {
  id: PCI_EXT_CAP_ID_VNDR,
  extended: true,
  key: 'vsec',
  linuxId: 'PCI_EXT_CAP_ID_VNDR',
  name: 'Vendor-Specific Extended Capability',
  spec: 'PCIe r6.0 7.9.5',
  version: (c) => (c.readl(0) >>> 16) & 0xf,
  size: vsecLength,
  registers: () => [
    ...extCapHeader(),
    r('PCI_VNDR_HEADER', PCI_VNDR_HEADER, 4, [
      f('PCI_VNDR_HEADER_ID', [15, 0], 'RO'),
      f('PCI_VNDR_HEADER_REV', [19, 16], 'RO'),
      f('PCI_VNDR_HEADER_LEN', [31, 20], 'RO'),
    ]),
  ],
};

/**
 * Designated Vendor-Specific Extended Capability (PCI_EXT_CAP_ID_DVSEC, 0x0023).
 * Spec: PCIe Base r6.0 7.9.6 "Designated Vendor-Specific Extended Capability (DVSEC)".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_DVSEC_HEADER1  VID[15:0] REV[19:16] LEN[31:20]   RO
 *   +0x08  PCI_DVSEC_HEADER2  ID[15:0] (u16)                    RO
 *   +0x0a  DVSEC-defined registers, up to LEN bytes from the capability start
 *
 * Size: PCI_DVSEC_HEADER1_LEN (12 bits, at most 4095); a LEN below the 10 header bytes is
 * malformed and sized as 0x0c (the headers rounded to a dword). A LEN running past config space is
 * left for the walker to flag. The body (CXL, for instance) is defined by the vendor named in
 * HEADER1 and stays unclaimed unless a device profile declares it.
 * Save/restore: Linux saves nothing of it (linux-pci.md 2.2); drivers locate it with
 * pci_find_dvsec_capability.
 * Reset: defined by the DVSEC's owner.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import { PCI_DVSEC_HEADER1, PCI_DVSEC_HEADER2, PCI_EXT_CAP_ID_DVSEC } from '../pci-regs.js';

const DVSEC_MIN_SIZE = 0x0c;

export function dvsecLength(c: CapReader): number {
  return Math.max(c.readl(PCI_DVSEC_HEADER1) >>> 20, DVSEC_MIN_SIZE);
}

export const dvsec: CapabilityDef = {
  id: PCI_EXT_CAP_ID_DVSEC,
  extended: true,
  key: 'dvsec',
  linuxId: 'PCI_EXT_CAP_ID_DVSEC',
  name: 'Designated Vendor-Specific Extended Capability',
  spec: 'PCIe r6.0 7.9.6',
  version: (c) => (c.readl(0) >>> 16) & 0xf,
  size: dvsecLength,
  registers: () => [
    ...extCapHeader(),
    r('PCI_DVSEC_HEADER1', PCI_DVSEC_HEADER1, 4, [
      f('PCI_DVSEC_HEADER1_VID', [15, 0], 'RO'),
      f('PCI_DVSEC_HEADER1_REV', [19, 16], 'RO'),
      f('PCI_DVSEC_HEADER1_LEN', [31, 20], 'RO'),
    ]),
    r('PCI_DVSEC_HEADER2', PCI_DVSEC_HEADER2, 2, [f('PCI_DVSEC_HEADER2_ID', [15, 0], 'RO')]),
  ],
};

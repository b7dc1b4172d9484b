/**
 * Root Complex Event Collector Endpoint Association (PCI_EXT_CAP_ID_RCEC, 0x0007).
 * Spec: PCIe Base r6.0, "Root Complex Event Collector Endpoint Association Extended
 * Capability" (register names: pci_regs.h).
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_RCEC_RCIEP_BITMAP (u32): the RCiEPs on the RCEC's own bus, one bit per device  HwInit
 *   +0x08  PCI_RCEC_BUSN (u32, version >= PCI_RCEC_BUSN_REG_VER 2): next bus [15:8], last bus [23:16]  HwInit
 *
 * Size: 8 for version 1, 12 from version 2 (pcie/rcec.c pci_rcec_init reads BUSN only then).
 * Save/restore: Linux reads it at enumeration (pci_rcec_init, to walk the associated RCiEPs for
 * AER) and saves none of it. Reset: HwInit.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, whole } from '../registers.js';
import { extCapHeader, extCapVersion } from './header-fields.js';

export const PCI_EXT_CAP_ID_RCEC = 0x07;
export const PCI_RCEC_RCIEP_BITMAP = 4;
export const PCI_RCEC_BUSN = 8;
export const PCI_RCEC_BUSN_REG_VER = 2;

const hasBusn = (c: CapReader) => extCapVersion(c) >= PCI_RCEC_BUSN_REG_VER;

export const rcec: CapabilityDef = {
  id: PCI_EXT_CAP_ID_RCEC,
  extended: true,
  key: 'rcec',
  linuxId: 'PCI_EXT_CAP_ID_RCEC',
  name: 'Root Complex Event Collector',
  spec: 'PCIe r6.0, Root Complex Event Collector Endpoint Association Extended Capability',
  version: extCapVersion,
  size: (c) => (hasBusn(c) ? 12 : 8),
  registers: (c) => [
    ...extCapHeader(),
    whole('PCI_RCEC_RCIEP_BITMAP', PCI_RCEC_RCIEP_BITMAP, 4, 'HwInit'),
    ...(hasBusn(c) ? [r('PCI_RCEC_BUSN', PCI_RCEC_BUSN, 4, [f('PCI_RCEC_BUSN_NEXT', [15, 8], 'HwInit'), f('PCI_RCEC_BUSN_LAST', [23, 16], 'HwInit')])] : []),
  ],
};

/**
 * Data Link Feature (PCI_EXT_CAP_ID_DLF, 0x0025): the features exchanged in DLLP negotiation
 * (Scaled Flow Control at 16 GT/s).
 * Spec: PCIe Base r6.0, "Data Link Feature Extended Capability" (names: pci_regs.h PCI_DLF_*).
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_DLF_CAP (u32): local features supported [22:0], PCI_DLF_EXCHANGE_ENABLE [31]   HwInit
 *   +0x08  status (u32): remote features supported [22:0], remote valid [31]                  RO, hardware-set
 *
 * Size: 12. Save/restore: Linux saves none of it (pcie-tegra194.c clears the exchange enable of
 * its own root port through the controller's DBI window at bring-up, not through config space).
 * Reset: the remote status is re-learnt when the link trains.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r } from '../registers.js';
import { extCapHeader, extCapVersion } from './header-fields.js';

export const PCI_EXT_CAP_ID_DLF = 0x25;
export const PCI_DLF_CAP = 0x04;
export const PCI_DLF_STS = 0x08;

export const dlf: CapabilityDef = {
  id: PCI_EXT_CAP_ID_DLF,
  extended: true,
  key: 'dlf',
  linuxId: 'PCI_EXT_CAP_ID_DLF',
  name: 'Data Link Feature',
  spec: 'PCIe r6.0, Data Link Feature Extended Capability',
  version: extCapVersion,
  size: () => 12,
  registers: () => [
    ...extCapHeader(),
    r('PCI_DLF_CAP', PCI_DLF_CAP, 4, [f('PCI_DLF_CAP_LOCAL', [22, 0], 'HwInit'), f('PCI_DLF_EXCHANGE_ENABLE', 31, 'HwInit')]),
    r('PCI_DLF_STS', PCI_DLF_STS, 4, [f('PCI_DLF_STS_REMOTE', [22, 0], 'RO', { volatile: true }), f('PCI_DLF_STS_VALID', 31, 'RO', { volatile: true })]),
  ],
};

/**
 * Native PCIe Enclosure Management (PCI_EXT_CAP_ID_NPEM, 0x0029).
 * Spec: PCIe Base r6.0, "Native PCIe Enclosure Management Extended Capability" (names:
 * pci_regs.h PCI_NPEM_*).
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_NPEM_CAP (u32): capable [0] and one bit per supported indication      HwInit
 *   +0x08  PCI_NPEM_CTRL (u32): enable [0], reset command [1], indications [11:2],
 *          enclosure-specific [31:24]                                                RW
 *   +0x0c  PCI_NPEM_STATUS (u32): command completed [0]                              RW1C
 *
 * Size: 16. Save/restore: pci_save_state saves none of it; drivers/pci/npem.c (6.12+) writes
 * PCI_NPEM_CTRL when an LED is set through sysfs and reads it back, it keeps no copy to restore.
 * Reset: not sticky.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r, whole } from '../registers.js';
import { extCapHeader, extCapVersion } from './header-fields.js';

export const PCI_EXT_CAP_ID_NPEM = 0x29;
export const PCI_NPEM_CAP = 0x04;
export const PCI_NPEM_CTRL = 0x08;
export const PCI_NPEM_STATUS = 0x0c;

export const npem: CapabilityDef = {
  id: PCI_EXT_CAP_ID_NPEM,
  extended: true,
  key: 'npem',
  linuxId: 'PCI_EXT_CAP_ID_NPEM',
  name: 'Native PCIe Enclosure Management',
  spec: 'PCIe r6.0, Native PCIe Enclosure Management Extended Capability',
  version: extCapVersion,
  size: () => 16,
  registers: () => [
    ...extCapHeader(),
    whole('PCI_NPEM_CAP', PCI_NPEM_CAP, 4, 'HwInit'),
    r('PCI_NPEM_CTRL', PCI_NPEM_CTRL, 4, [
      f('PCI_NPEM_CTRL_ENABLE', 0, 'RW'), f('PCI_NPEM_CMD_RESET', 1, 'RW'), f('PCI_NPEM_IND', [11, 2], 'RW'), f('PCI_NPEM_IND_SPEC', [31, 24], 'RW'),
    ]),
    r('PCI_NPEM_STATUS', PCI_NPEM_STATUS, 4, [f('PCI_NPEM_STATUS_CC', 0, 'RW1C')]),
  ],
};

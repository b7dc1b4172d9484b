/**
 * Device Serial Number (PCI_EXT_CAP_ID_DSN, 0x0003).
 * Spec: PCIe Base r6.0 7.9.3 "Device Serial Number Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_DSN_LOW   serial number bits [31:0]   RO
 *   +0x08  PCI_DSN_HIGH  serial number bits [63:32]  RO
 *
 * Size: PCI_EXT_CAP_DSN_SIZEOF (12) in pci_regs.h. pci_regs.h names no registers; Linux reads the
 * two dwords in pci.c pci_get_dsn. The names here follow that function's low/high order.
 * Save/restore: no save buffer and never written (linux-pci.md 2.2 lists no DSN buffer).
 * Reset: read-only constant, unaffected by any reset.
 */
import type { CapabilityDef } from '../capability.js';
import { whole } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import { PCI_EXT_CAP_DSN_SIZEOF, PCI_EXT_CAP_ID_DSN } from '../pci-regs.js';

export const dsn: CapabilityDef = {
  id: PCI_EXT_CAP_ID_DSN,
  extended: true,
  key: 'dsn',
  linuxId: 'PCI_EXT_CAP_ID_DSN',
  name: 'Device Serial Number',
  spec: 'PCIe r6.0 7.9.3',
  version: (c) => (c.readl(0) >>> 16) & 0xf,
  size: () => PCI_EXT_CAP_DSN_SIZEOF,
  registers: () => [
    ...extCapHeader(),
    whole('PCI_DSN_LOW', 0x04, 4, 'RO'),
    whole('PCI_DSN_HIGH', 0x08, 4, 'RO'),
  ],
};

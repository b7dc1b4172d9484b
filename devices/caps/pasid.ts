/**
 * Process Address Space ID (PCI_EXT_CAP_ID_PASID, 0x001b).
 * Spec: PCIe Base r6.0 7.8.8 "PASID Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_PASID_CAP (u16)   EXEC[1] PRIV[2] WIDTH[12:8]   RO
 *   +0x06  PCI_PASID_CTRL (u16)  ENABLE[0] EXEC[1] PRIV[2]     RW
 *
 * Size: PCI_EXT_CAP_PASID_SIZEOF (8).
 * Save/restore: not saved; regenerated. ats.c pci_restore_pasid_state writes PCI_PASID_CTRL =
 * ENABLE | pdev->pasid_features when pasid_enabled (VFs skip).
 * Reset: not sticky; FLR clears the enables.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import { PCI_EXT_CAP_ID_PASID, PCI_PASID_CAP, PCI_PASID_CTRL } from '../pci-regs.js';

export const pasid: CapabilityDef = {
  id: PCI_EXT_CAP_ID_PASID,
  extended: true,
  key: 'pasid',
  linuxId: 'PCI_EXT_CAP_ID_PASID',
  name: 'Process Address Space ID',
  spec: 'PCIe r6.0 7.8.8',
  version: (c) => (c.readl(0) >>> 16) & 0xf,
  size: () => 8,
  registers: () => [
    ...extCapHeader(),
    r('PCI_PASID_CAP', PCI_PASID_CAP, 2, [
      f('PCI_PASID_CAP_EXEC', 1, 'RO'),
      f('PCI_PASID_CAP_PRIV', 2, 'RO'),
      f('PCI_PASID_CAP_WIDTH', [12, 8], 'RO', { doc: 'Max PASID Width' }),
    ]),
    r('PCI_PASID_CTRL', PCI_PASID_CTRL, 2, [
      f('PCI_PASID_CTRL_ENABLE', 0, 'RW'),
      f('PCI_PASID_CTRL_EXEC', 1, 'RW'),
      f('PCI_PASID_CTRL_PRIV', 2, 'RW'),
    ]),
  ],
};

/**
 * Precision Time Measurement (PCI_EXT_CAP_ID_PTM, 0x001f).
 * Spec: PCIe Base r6.0 7.9.15 "PTM Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_PTM_CAP   REQ[0] RES[1] ROOT[2] ePTM[3] GRANULARITY[15:8]   RO
 *   +0x08  PCI_PTM_CTRL  ENABLE[0] ROOT[1] EFFECTIVE_GRANULARITY[15:8]      RW
 *
 * Size: 0x0c.
 * Save/restore (linux-pci.md 2.2): a 4-byte buffer holding PCI_PTM_CTRL, pcie/ptm.c
 * pci_save_ptm_state / pci_restore_ptm_state; allocated in pci_ptm_init (CONFIG_PCIE_PTM).
 * Reset: not sticky; FLR and conventional reset clear PTM_CTRL.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import { PCI_EXT_CAP_ID_PTM, PCI_PTM_CAP, PCI_PTM_CTRL } from '../pci-regs.js';

export const ptm: CapabilityDef = {
  id: PCI_EXT_CAP_ID_PTM,
  extended: true,
  key: 'ptm',
  linuxId: 'PCI_EXT_CAP_ID_PTM',
  name: 'Precision Time Measurement',
  spec: 'PCIe r6.0 7.9.15',
  version: (c) => (c.readl(0) >>> 16) & 0xf,
  size: () => 0x0c,
  registers: () => [
    ...extCapHeader(),
    r('PCI_PTM_CAP', PCI_PTM_CAP, 4, [
      f('PCI_PTM_CAP_REQ', 0, 'RO'),
      f('PCI_PTM_CAP_RES', 1, 'RO'),
      f('PCI_PTM_CAP_ROOT', 2, 'RO'),
      f('PCI_PTM_CAP_EPTM', 3, 'RO', { doc: 'ePTM Capable (spec name; not in pci_regs.h)' }),
      f('PCI_PTM_GRANULARITY_MASK', [15, 8], 'RO'),
    ]),
    r('PCI_PTM_CTRL', PCI_PTM_CTRL, 4, [
      f('PCI_PTM_CTRL_ENABLE', 0, 'RW'),
      f('PCI_PTM_CTRL_ROOT', 1, 'RW'),
      f('PCI_PTM_CTRL_GRANULARITY', [15, 8], 'RW', { doc: 'Effective Granularity' }),
    ]),
  ],
};

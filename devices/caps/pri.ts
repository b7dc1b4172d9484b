/**
 * Page Request Interface (PCI_EXT_CAP_ID_PRI, 0x0013).
 * Spec: PCIe Base r6.0 10.5.2 "Page Request Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_PRI_CTRL (u16)    ENABLE[0] RW, RESET[1] RW (reads 0)
 *   +0x06  PCI_PRI_STATUS (u16)  RF[0] UPRGI[1] RW1C, STOPPED[8] RO, PASID[15] RO
 *   +0x08  PCI_PRI_MAX_REQ       Outstanding Page Request Capacity   RO
 *   +0x0c  PCI_PRI_ALLOC_REQ     Outstanding Page Request Allocation RW
 *
 * Size: PCI_EXT_CAP_PRI_SIZEOF (16).
 * Save/restore: not saved; regenerated. ats.c pci_restore_pri_state writes PCI_PRI_ALLOC_REQ from
 * pdev->pri_reqs_alloc, then PCI_PRI_CTRL = ENABLE, when pri_enabled (VFs skip: they share the
 * PF's PRI).
 * Reset: not sticky. STOPPED reads 1 while PRI is disabled with nothing outstanding, so it is
 * hardware-driven (volatile).
 */
import type { CapabilityDef } from '../capability.js';
import { f, r, whole } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import { PCI_EXT_CAP_ID_PRI, PCI_PRI_ALLOC_REQ, PCI_PRI_CTRL, PCI_PRI_MAX_REQ, PCI_PRI_STATUS } from '../pci-regs.js';

export const pri: CapabilityDef = {
  id: PCI_EXT_CAP_ID_PRI,
  extended: true,
  key: 'pri',
  linuxId: 'PCI_EXT_CAP_ID_PRI',
  name: 'Page Request Interface',
  spec: 'PCIe r6.0 10.5.2',
  version: (c) => (c.readl(0) >>> 16) & 0xf,
  size: () => 16,
  registers: () => [
    ...extCapHeader(),
    r('PCI_PRI_CTRL', PCI_PRI_CTRL, 2, [
      f('PCI_PRI_CTRL_ENABLE', 0, 'RW'),
      f('PCI_PRI_CTRL_RESET', 1, 'RW', { selfClearing: true, doc: 'Clears outstanding-request state; reads 0' }),
    ]),
    r('PCI_PRI_STATUS', PCI_PRI_STATUS, 2, [
      f('PCI_PRI_STATUS_RF', 0, 'RW1C', { doc: 'Response Failure' }),
      f('PCI_PRI_STATUS_UPRGI', 1, 'RW1C', { doc: 'Unexpected Page Request Group Index' }),
      f('PCI_PRI_STATUS_STOPPED', 8, 'RO', { volatile: true }),
      f('PCI_PRI_STATUS_PASID', 15, 'RO', { doc: 'PRG Response PASID Required' }),
    ]),
    whole('PCI_PRI_MAX_REQ', PCI_PRI_MAX_REQ, 4, 'RO'),
    whole('PCI_PRI_ALLOC_REQ', PCI_PRI_ALLOC_REQ, 4, 'RW'),
  ],
};

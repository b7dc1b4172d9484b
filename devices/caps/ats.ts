/**
 * Address Translation Services (PCI_EXT_CAP_ID_ATS, 0x000f).
 * Spec: PCIe Base r6.0 10.5.1 "ATS Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_ATS_CAP (u16)   QDEP[4:0] PAGE_ALIGNED[5] GLOBAL_INV[6]   RO
 *   +0x06  PCI_ATS_CTRL (u16)  STU[4:0] ENABLE[15]                       RW
 *
 * Size: PCI_EXT_CAP_ATS_SIZEOF (8).
 * Save/restore: not saved; regenerated. pci_restore_state calls ats.c pci_restore_ats_state, which
 * writes PCI_ATS_CTRL = ENABLE | STU(ats_stu - PCI_ATS_MIN_STU) (STU omitted on VFs) from the
 * kernel's pci_dev fields when ats_enabled, whatever the register held before.
 * Reset: not sticky; FLR clears ENABLE and STU.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import { PCI_ATS_CAP, PCI_ATS_CTRL, PCI_EXT_CAP_ID_ATS } from '../pci-regs.js';

export const ats: CapabilityDef = {
  id: PCI_EXT_CAP_ID_ATS,
  extended: true,
  key: 'ats',
  linuxId: 'PCI_EXT_CAP_ID_ATS',
  name: 'Address Translation Service',
  spec: 'PCIe r6.0 10.5.1',
  version: (c) => (c.readl(0) >>> 16) & 0xf,
  size: () => 8,
  registers: () => [
    ...extCapHeader(),
    r('PCI_ATS_CAP', PCI_ATS_CAP, 2, [
      f('PCI_ATS_CAP_QDEP', [4, 0], 'RO', { doc: 'Invalidate Queue Depth (0 means 32)' }),
      f('PCI_ATS_CAP_PAGE_ALIGNED', 5, 'RO'),
      f('PCI_ATS_CAP_GLOBAL_INV', 6, 'RO', { doc: 'Global Invalidate Supported (spec name; not in pci_regs.h)' }),
    ]),
    r('PCI_ATS_CTRL', PCI_ATS_CTRL, 2, [
      f('PCI_ATS_CTRL_STU', [4, 0], 'RW', { doc: 'Smallest Translation Unit' }),
      f('PCI_ATS_CTRL_ENABLE', 15, 'RW'),
    ]),
  ],
};

/**
 * CompactPCI Hot Swap (PCI_CAP_ID_CHSWP, 0x06).
 * Spec: PICMG 2.1 R2.0 "CompactPCI Hot Swap Specification", the Hot Swap Control/Status Register.
 *
 *   +0x00 ID | NEXT | PCI_CHSWP_CSR (u8) | reserved
 *   PCI_CHSWP_CSR: DHA [0] RW, EIM [1] RW (ENUM# mask), PIE [2] RO (pending insert/extract),
 *                  LOO [3] RW (blue LED), PI [5:4] RO, EXT [6] RW1C, INS [7] RW1C (ENUM# status)
 *
 * Size: 4. Save/restore: Linux saves none of it; drivers/pci/hotplug/cpci_hotplug_pci.c reads and
 * writes the CSR on demand (VFIO's pci_cap_length: "cpci - not yet").
 * Reset: every field returns to 0 (the spec's board-level ENUM# behaviour is not modelled).
 */
import type { CapabilityDef } from '../capability.js';
import { f, r } from '../registers.js';
import { capHeader } from './header-fields.js';

export const PCI_CAP_ID_CHSWP = 0x06;
export const PCI_CHSWP_CSR = 2;

export const chswp: CapabilityDef = {
  id: PCI_CAP_ID_CHSWP,
  extended: false,
  key: 'chswp',
  linuxId: 'PCI_CAP_ID_CHSWP',
  name: 'CompactPCI hot-swap',
  spec: 'PICMG 2.1 R2.0',
  version: () => 0,
  size: () => 4,
  registers: () => [
    ...capHeader(),
    r('PCI_CHSWP_CSR', PCI_CHSWP_CSR, 1, [
      f('PCI_CHSWP_DHA', 0, 'RW'), f('PCI_CHSWP_EIM', 1, 'RW'), f('PCI_CHSWP_PIE', 2, 'RO', { volatile: true }),
      f('PCI_CHSWP_LOO', 3, 'RW'), f('PCI_CHSWP_PI', [5, 4], 'RO'),
      f('PCI_CHSWP_EXT', 6, 'RW1C'), f('PCI_CHSWP_INS', 7, 'RW1C'),
    ]),
  ],
};

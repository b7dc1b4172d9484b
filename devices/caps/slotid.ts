/**
 * Slot Identification (PCI_CAP_ID_SLOTID, 0x04), on PCI-to-PCI bridges.
 * Spec: PCI-to-PCI Bridge Architecture r1.2, "Slot Numbering Capabilities List Item".
 *
 *   +0x00 ID | NEXT | PCI_SID_ESR (u8): NSLOTS [4:0], FIC [5] | PCI_SID_CHASSIS_NR (u8)
 *
 * The expansion slot register is set up by firmware (HwInit); the chassis number is RW (firmware
 * writes it at boot).
 * Size: 4. Save/restore: Linux saves none of it (pci_save_state; VFIO's pci_cap_length marks it
 * "bridge - don't care"). Reset: the chassis number is not sticky.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r, whole } from '../registers.js';
import { capHeader } from './header-fields.js';

export const PCI_CAP_ID_SLOTID = 0x04;
export const PCI_SID_ESR = 2;
export const PCI_SID_CHASSIS_NR = 3;

export const slotid: CapabilityDef = {
  id: PCI_CAP_ID_SLOTID,
  extended: false,
  key: 'slotid',
  linuxId: 'PCI_CAP_ID_SLOTID',
  name: 'Slot Identification',
  spec: 'PCI-to-PCI Bridge r1.2, slot numbering',
  version: () => 0,
  size: () => 4,
  registers: () => [
    ...capHeader(),
    r('PCI_SID_ESR', PCI_SID_ESR, 1, [f('PCI_SID_ESR_NSLOTS', [4, 0], 'HwInit'), f('PCI_SID_ESR_FIC', 5, 'HwInit')]),
    whole('PCI_SID_CHASSIS_NR', PCI_SID_CHASSIS_NR, 1, 'RW'),
  ],
};

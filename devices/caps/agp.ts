/**
 * Accelerated Graphics Port (PCI_CAP_ID_AGP, 0x02).
 * Spec: AGP V3.0, the AGP capability structure (register names: pci_regs.h PCI_AGP_*).
 *
 *   +0x00 ID | NEXT | PCI_AGP_VERSION (u8: major [7:4], minor [3:0]) | PCI_AGP_RFU (u8)    RO
 *   +0x04 PCI_AGP_STATUS (u32)   what the device supports: rates, FW, 64-bit, SBA, RQ depth  RO
 *   +0x08 PCI_AGP_COMMAND (u32)  rate [2:0], FW [4], 64BIT [5], AGP [8], SBA [9], RQ [31:24] RW
 *
 * Size: PCI_AGP_SIZEOF (12).
 * Save/restore: pci_save_state saves none of it; the AGP driver (drivers/char/agp) programs
 * PCI_AGP_COMMAND again itself (agp_generic_enable) when it sets the bridge up.
 * Reset: not sticky; a reset clears PCI_AGP_COMMAND.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r, whole } from '../registers.js';
import { capHeader } from './header-fields.js';

export const PCI_CAP_ID_AGP = 0x02;
export const PCI_AGP_VERSION = 2;
export const PCI_AGP_STATUS = 4;
export const PCI_AGP_COMMAND = 8;
export const PCI_AGP_SIZEOF = 12;

export const agp: CapabilityDef = {
  id: PCI_CAP_ID_AGP,
  extended: false,
  key: 'agp',
  linuxId: 'PCI_CAP_ID_AGP',
  name: 'AGP',
  spec: 'AGP V3.0',
  version: (c) => c.readb(PCI_AGP_VERSION) >> 4,
  size: () => PCI_AGP_SIZEOF,
  registers: () => [
    ...capHeader(),
    whole('PCI_AGP_VERSION', PCI_AGP_VERSION, 1, 'RO'),
    whole('PCI_AGP_RFU', 3, 1, 'RO'),
    whole('PCI_AGP_STATUS', PCI_AGP_STATUS, 4, 'RO'),
    r('PCI_AGP_COMMAND', PCI_AGP_COMMAND, 4, [
      f('PCI_AGP_COMMAND_RATE', [2, 0], 'RW'), f('PCI_AGP_COMMAND_FW', 4, 'RW'), f('PCI_AGP_COMMAND_64BIT', 5, 'RW'),
      f('PCI_AGP_COMMAND_AGP', 8, 'RW'), f('PCI_AGP_COMMAND_SBA', 9, 'RW'), f('PCI_AGP_COMMAND_RQ_MASK', [31, 24], 'RW'),
    ]),
  ],
};

/**
 * Device 3 (PCI_EXT_CAP_ID_DEV3, 0x002f): 14-bit tags, L0p, DMWr, flit-mode segment capture.
 * Spec: PCIe Base r6.0, "Device 3 Extended Capability" (names: pci_regs.h PCI_DEV3_*).
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_DEV3_CAP (u32)                                                       RO
 *   +0x08  PCI_DEV3_CTL (u32): DMWr requester enable [0], DMWr egress blocking [1],
 *          14-bit tag requester enable [2], L0p enable [3], target link width [6:4]   RW
 *   +0x0c  PCI_DEV3_STA (u32): initial link width [2:0], PCI_DEV3_STA_SEGMENT [3],
 *          remote L0p supported [4]                                                RO, hardware-set
 *
 * Size: 16. Save/restore: pci_save_state saves none of it (Linux reads PCI_DEV3_STA_SEGMENT only).
 * Reset: not sticky.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r, whole } from '../registers.js';
import { extCapHeader, extCapVersion } from './header-fields.js';

export const PCI_EXT_CAP_ID_DEV3 = 0x2f;
export const PCI_DEV3_CAP = 0x04;
export const PCI_DEV3_CTL = 0x08;
export const PCI_DEV3_STA = 0x0c;

export const dev3: CapabilityDef = {
  id: PCI_EXT_CAP_ID_DEV3,
  extended: true,
  key: 'dev3',
  linuxId: 'PCI_EXT_CAP_ID_DEV3',
  name: 'Device 3',
  spec: 'PCIe r6.0, Device 3 Extended Capability',
  version: extCapVersion,
  size: () => 16,
  registers: () => [
    ...extCapHeader(),
    whole('PCI_DEV3_CAP', PCI_DEV3_CAP, 4, 'RO'),
    r('PCI_DEV3_CTL', PCI_DEV3_CTL, 4, [
      f('PCI_DEV3_CTL_DMWR_REQ_EN', 0, 'RW'), f('PCI_DEV3_CTL_DMWR_EGRESS_BLK', 1, 'RW'), f('PCI_DEV3_CTL_14BIT_TAG_REQ_EN', 2, 'RW'),
      f('PCI_DEV3_CTL_L0P_EN', 3, 'RW'), f('PCI_DEV3_CTL_TARGET_LINK_WIDTH', [6, 4], 'RW'),
    ]),
    r('PCI_DEV3_STA', PCI_DEV3_STA, 4, [
      f('PCI_DEV3_STA_INIT_LINK_WIDTH', [2, 0], 'RO', { volatile: true }), f('PCI_DEV3_STA_SEGMENT', 3, 'RO', { volatile: true }),
      f('PCI_DEV3_STA_REMOTE_L0P', 4, 'RO', { volatile: true }),
    ]),
  ],
};

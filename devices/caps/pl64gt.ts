/**
 * Physical Layer 64.0 GT/s (PCI_EXT_CAP_ID_PL_64GT, 0x0031).
 * Spec: PCIe Base r6.0, "Physical Layer 64.0 GT/s Extended Capability" (field names as
 * pciutils lib/header.h PCI_64GT_*).
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  capabilities, +0x08 control (u32): reserved
 *   +0x0c  status (u32): equalization complete/phases [3:0], precoding on/request [6:5], no
 *          equalization needed received [7] (hardware); link equalization request [4] RW1C
 *   +0x20  PCI_PL_64GT_LE_CTRL: one byte per Lane (as in 16.0 GT/s)
 *
 * Size: 0x20 + one byte per Lane, rounded up to a dword.
 * Save/restore: Linux saves none of it. Reset: not sticky.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r } from '../registers.js';
import { extCapHeader, extCapVersion } from './header-fields.js';
import { laneEqualizationBytes, physLayerSize } from './link-width.js';

export const PCI_EXT_CAP_ID_PL_64GT = 0x31;
const hw = { volatile: true };

export const pl64gt: CapabilityDef = {
  id: PCI_EXT_CAP_ID_PL_64GT,
  extended: true,
  key: 'pl64gt',
  linuxId: 'PCI_EXT_CAP_ID_PL_64GT',
  name: 'Physical Layer 64.0 GT/s',
  spec: 'PCIe r6.0, Physical Layer 64.0 GT/s Extended Capability',
  version: extCapVersion,
  size: physLayerSize,
  registers: (c) => [
    ...extCapHeader(),
    r('PCI_64GT_STATUS', 0x0c, 4, [
      f('PCI_64GT_STATUS_EQU', [3, 0], 'RO', hw), f('PCI_64GT_STATUS_EQU_REQ', 4, 'RW1C'),
      f('PCI_64GT_STATUS_TX_PRE', [6, 5], 'RO', hw), f('PCI_64GT_STATUS_NO_EQU', 7, 'RO', hw),
    ]),
    ...laneEqualizationBytes('PCI_PL_64GT', c),
  ],
};

/**
 * Physical Layer 32.0 GT/s (PCI_EXT_CAP_ID_PL_32GT, 0x002a).
 * Spec: PCIe Base r6.0, "Physical Layer 32.0 GT/s Extended Capability" (field names as
 * pciutils lib/header.h PCI_32GT_*).
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  capabilities (u32): equalization bypass [0], no equalization needed [1], modified TS
 *          usage modes [10:8]                                                              RO
 *   +0x08  control (u32): bypass disable [0], no-equalization disable [1], mode selected [10:8]  RW
 *   +0x0c  status (u32): equalization complete/phases [3:0], modified TS received [5],
 *          received enhanced link behaviour [7:6], precoding on/request [9:8], no equalization
 *          needed received [10] (hardware); link equalization request [4] RW1C
 *   +0x10  received modified TS data 1 and 2 (RO), +0x18 transmitted modified TS data 1 and 2 (RW)
 *   +0x20  PCI_PL_32GT_LE_CTRL: one byte per Lane (as in 16.0 GT/s)
 *
 * Size: 0x20 + one byte per Lane, rounded up to a dword.
 * Save/restore: Linux saves none of it. Reset: not sticky.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r, whole } from '../registers.js';
import { extCapHeader, extCapVersion } from './header-fields.js';
import { laneEqualizationBytes, physLayerSize } from './link-width.js';

export const PCI_EXT_CAP_ID_PL_32GT = 0x2a;
const hw = { volatile: true };

export const pl32gt: CapabilityDef = {
  id: PCI_EXT_CAP_ID_PL_32GT,
  extended: true,
  key: 'pl32gt',
  linuxId: 'PCI_EXT_CAP_ID_PL_32GT',
  name: 'Physical Layer 32.0 GT/s',
  spec: 'PCIe r6.0, Physical Layer 32.0 GT/s Extended Capability',
  version: extCapVersion,
  size: physLayerSize,
  registers: (c) => [
    ...extCapHeader(),
    r('PCI_32GT_CAP', 0x04, 4, [f('PCI_32GT_CAP_EQU_BYPASS', 0, 'RO'), f('PCI_32GT_CAP_NO_EQU_NEEDED', 1, 'RO'), f('PCI_32GT_CAP_MOD_TS_MODES', [10, 8], 'RO')]),
    r('PCI_32GT_CTL', 0x08, 4, [f('PCI_32GT_CTL_EQU_BYPASS_DIS', 0, 'RW'), f('PCI_32GT_CTL_NO_EQU_NEEDED_DIS', 1, 'RW'), f('PCI_32GT_CTL_MOD_TS_MODE', [10, 8], 'RW')]),
    r('PCI_32GT_STATUS', 0x0c, 4, [
      f('PCI_32GT_STATUS_EQU', [3, 0], 'RO', hw), f('PCI_32GT_STATUS_EQU_REQ', 4, 'RW1C'), f('PCI_32GT_STATUS_MOD_TS', 5, 'RO', hw),
      f('PCI_32GT_STATUS_RCV_ENH_LINK', [7, 6], 'RO', hw), f('PCI_32GT_STATUS_TX_PRE', [9, 8], 'RO', hw), f('PCI_32GT_STATUS_NO_EQU', 10, 'RO', hw),
    ]),
    whole('PCI_32GT_RXMODTS1', 0x10, 4, 'RO', hw),
    whole('PCI_32GT_RXMODTS2', 0x14, 4, 'RO', hw),
    whole('PCI_32GT_TXMODTS1', 0x18, 4, 'RW'),
    whole('PCI_32GT_TXMODTS2', 0x1c, 4, 'RW'),
    ...laneEqualizationBytes('PCI_PL_32GT', c),
  ],
};

/**
 * Physical Layer 16.0 GT/s (PCI_EXT_CAP_ID_PL_16GT, 0x0026).
 * Spec: PCIe Base r6.0, "Physical Layer 16.0 GT/s Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  capabilities (u32), +0x08 control (u32): all reserved in r6.0
 *   +0x0c  status (u32): equalization complete [0], phase 1..3 successful [3:1] (hardware),
 *          link equalization request [4] RW1C
 *   +0x10  local, +0x14 first retimer, +0x18 second retimer data parity mismatch status:
 *          one RW1C bit per Lane
 *   +0x20  PCI_PL_16GT_LE_CTRL: one byte per Lane up to the Maximum Link Width: Downstream Port
 *          [3:0] and Upstream Port [7:4] Transmitter Presets (firmware-set: HwInit here)
 *
 * Size: 0x20 + one byte per Lane, rounded up to a dword.
 * Save/restore: Linux saves none of it (pcie-designware-host.c writes a DesignWare root port's
 * presets through the controller's DBI window at bring-up). Reset: the parity mismatch status is
 * sticky (RW1CS).
 */
import type { CapabilityDef } from '../capability.js';
import { f, r, whole } from '../registers.js';
import { extCapHeader, extCapVersion } from './header-fields.js';
import { laneEqualizationBytes, physLayerSize } from './link-width.js';

export const PCI_EXT_CAP_ID_PL_16GT = 0x26;
const sticky = { sticky: true };

export const pl16gt: CapabilityDef = {
  id: PCI_EXT_CAP_ID_PL_16GT,
  extended: true,
  key: 'pl16gt',
  linuxId: 'PCI_EXT_CAP_ID_PL_16GT',
  name: 'Physical Layer 16.0 GT/s',
  spec: 'PCIe r6.0, Physical Layer 16.0 GT/s Extended Capability',
  version: extCapVersion,
  size: physLayerSize,
  registers: (c) => [
    ...extCapHeader(),
    r('PCI_PL_16GT_STATUS', 0x0c, 4, [
      f('PCI_PL_16GT_STATUS_EQU_COMP', 0, 'RO', { volatile: true }), f('PCI_PL_16GT_STATUS_EQU_PHASES', [3, 1], 'RO', { volatile: true }),
      f('PCI_PL_16GT_STATUS_EQU_REQ', 4, 'RW1C'),
    ]),
    whole('PCI_PL_16GT_LDPM', 0x10, 4, 'RW1C', sticky),
    whole('PCI_PL_16GT_FRDPM', 0x14, 4, 'RW1C', sticky),
    whole('PCI_PL_16GT_SRDPM', 0x18, 4, 'RW1C', sticky),
    ...laneEqualizationBytes('PCI_PL_16GT', c),
  ],
};

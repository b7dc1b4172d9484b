/**
 * RCRB Header (PCI_EXT_CAP_ID_RCRB, 0x000a): identifies a Root Complex Register Block.
 * Spec: PCIe Base r6.0, "RCRB Header Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  vendor ID [15:0], device ID [31:16]                       RO
 *   +0x08  RCRB capabilities: CRS software visibility [0]           RO
 *   +0x0c  RCRB control: CRS software visibility enable [0]         RW
 *   +0x10  reserved
 *
 * Size: 0x14. Save/restore: Linux saves none of it (VFIO: "root only - don't care").
 * Reset: the enable is not sticky.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r, whole } from '../registers.js';
import { extCapHeader, extCapVersion } from './header-fields.js';

export const PCI_EXT_CAP_ID_RCRB = 0x0a;

export const rcrb: CapabilityDef = {
  id: PCI_EXT_CAP_ID_RCRB,
  extended: true,
  key: 'rcrb',
  linuxId: 'PCI_EXT_CAP_ID_RCRB',
  name: 'Root Complex Register Block',
  spec: 'PCIe r6.0, RCRB Header Extended Capability',
  version: extCapVersion,
  size: () => 0x14,
  registers: () => [
    ...extCapHeader(),
    whole('PCI_RCRB_VENDOR', 0x04, 2, 'RO'),
    whole('PCI_RCRB_DEVICE', 0x06, 2, 'RO'),
    r('PCI_RCRB_CAP', 0x08, 4, [f('PCI_RCRB_CAP_CRS_SV', 0, 'RO')]),
    r('PCI_RCRB_CTRL', 0x0c, 4, [f('PCI_RCRB_CTRL_CRS_SV_EN', 0, 'RW')]),
  ],
};

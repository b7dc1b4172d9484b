/**
 * LN Requester (PCI_EXT_CAP_ID_LNR, 0x001c).
 * Spec: PCIe Base r6.0, "LN Requester Extended Capability (LNR)".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  capability (u16): LNR-64 [0], LNR-128 [1], registration max [12:8]   RO
 *   +0x06  control (u16): enable [0], CLS [1], registration limit [12:8]        RW
 *
 * Size: 8. Save/restore: Linux saves none of it. Reset: not sticky.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r } from '../registers.js';
import { extCapHeader, extCapVersion } from './header-fields.js';

export const PCI_EXT_CAP_ID_LNR = 0x1c;

export const lnr: CapabilityDef = {
  id: PCI_EXT_CAP_ID_LNR,
  extended: true,
  key: 'lnr',
  linuxId: 'PCI_EXT_CAP_ID_LNR',
  name: 'LN Requester',
  spec: 'PCIe r6.0, LN Requester Extended Capability (LNR)',
  version: extCapVersion,
  size: () => 8,
  registers: () => [
    ...extCapHeader(),
    r('PCI_LNR_CAP', 0x04, 2, [f('PCI_LNR_CAP_64', 0, 'RO'), f('PCI_LNR_CAP_128', 1, 'RO'), f('PCI_LNR_CAP_REG_MAX', [12, 8], 'RO')]),
    r('PCI_LNR_CTRL', 0x06, 2, [f('PCI_LNR_CTRL_EN', 0, 'RW'), f('PCI_LNR_CTRL_CLS', 1, 'RW'), f('PCI_LNR_CTRL_REG_LIM', [12, 8], 'RW')]),
  ],
};

/**
 * Lane Margining at the Receiver (extended capability 0x0027; pciutils PCI_EXT_CAP_ID_LMR,
 * pci_regs.h names no ID for it).
 * Spec: PCIe Base r6.0, "Lane Margining at the Receiver Extended Capability".
 *
 *   +0x00      PCI_EXT_CAP_HEADER
 *   +0x04      PCI_LMR_CAPS (u16): margining uses driver software [0]                 HwInit
 *   +0x06      PCI_LMR_PORT_STS (u16): margining ready [0], software ready [1]        RO, hardware-set
 *   +0x08 + 4i Lane i: control (u16: receiver number [2:0], margin type [5:3], usage model [6],
 *              payload [15:8]) RW; status (u16, same layout, the receiver's answer) RO
 *
 * Size: 8 + 4 per Lane up to the Maximum Link Width.
 * Save/restore: Linux saves none of it (margining is driven from user space: pciutils pcilmr).
 * Reset: not sticky.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r, type RegisterDef } from '../registers.js';
import { extCapHeader, extCapVersion } from './header-fields.js';
import { maxLinkWidth } from './link-width.js';

export const PCI_EXT_CAP_ID_LMR = 0x27;
export const PCI_LMR_CAPS = 0x04;
export const PCI_LMR_PORT_STS = 0x06;
export const PCI_LMR_LANE_CTL = 0x08;

function lane(i: number): RegisterDef[] {
  const at = PCI_LMR_LANE_CTL + 4 * i;
  return [
    r(`PCI_LMR_LANE_CTL[${i}]`, at, 2, [
      f('PCI_LMR_LANE_CTL_RCV', [2, 0], 'RW'), f('PCI_LMR_LANE_CTL_TYPE', [5, 3], 'RW'), f('PCI_LMR_LANE_CTL_MODEL', 6, 'RW'),
      f('PCI_LMR_LANE_CTL_PAYLOAD', [15, 8], 'RW'),
    ]),
    r(`PCI_LMR_LANE_STS[${i}]`, at + 2, 2, [f('PCI_LMR_LANE_STS', [15, 0], 'RO', { volatile: true })]),
  ];
}

export const lmr: CapabilityDef = {
  id: PCI_EXT_CAP_ID_LMR,
  extended: true,
  key: 'lmr',
  linuxId: 'PCI_EXT_CAP_ID_LMR',
  name: 'Lane Margining at the Receiver',
  spec: 'PCIe r6.0, Lane Margining at the Receiver Extended Capability',
  version: extCapVersion,
  size: (c) => PCI_LMR_LANE_CTL + 4 * maxLinkWidth(c),
  registers: (c) => [
    ...extCapHeader(),
    r('PCI_LMR_CAPS', PCI_LMR_CAPS, 2, [f('PCI_LMR_CAPS_DRVR', 0, 'HwInit')]),
    r('PCI_LMR_PORT_STS', PCI_LMR_PORT_STS, 2, [f('PCI_LMR_PORT_STS_READY', 0, 'RO', { volatile: true }), f('PCI_LMR_PORT_STS_SOFT_READY', 1, 'RO', { volatile: true })]),
    ...Array.from({ length: maxLinkWidth(c) }, (_, i) => lane(i)).flat(),
  ],
};

/**
 * Root Complex Internal Link Control (PCI_EXT_CAP_ID_RCILC, 0x0006).
 * Spec: PCIe Base r6.0, "Root Complex Internal Link Control Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  Root Complex Link Capabilities (u32, laid out as PCI_EXP_LNKCAP)      RO
 *   +0x08  Root Complex Link Control (u16): ASPM control [1:0], extended synch [7]  RW
 *   +0x0a  Root Complex Link Status (u16): current speed [3:0], width [9:4]      RO, hardware-set
 *
 * Size: 12. Save/restore: Linux saves none of it (VFIO: "root only - don't care").
 * Reset: the control bits are not sticky.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r, whole } from '../registers.js';
import { extCapHeader, extCapVersion } from './header-fields.js';

export const PCI_EXT_CAP_ID_RCILC = 0x06;

export const rcilc: CapabilityDef = {
  id: PCI_EXT_CAP_ID_RCILC,
  extended: true,
  key: 'rcilc',
  linuxId: 'PCI_EXT_CAP_ID_RCILC',
  name: 'Root Complex Internal Link',
  spec: 'PCIe r6.0, Root Complex Internal Link Control Extended Capability',
  version: extCapVersion,
  size: () => 12,
  registers: () => [
    ...extCapHeader(),
    whole('PCI_RCILINK_LCAP', 0x04, 4, 'RO'),
    r('PCI_RCILINK_LCTL', 0x08, 2, [f('PCI_RCILINK_LCTL_ASPM', [1, 0], 'RW'), f('PCI_RCILINK_LCTL_ES', 7, 'RW')]),
    r('PCI_RCILINK_LSTA', 0x0a, 2, [f('PCI_RCILINK_LSTA_SPEED', [3, 0], 'RO', { volatile: true }), f('PCI_RCILINK_LSTA_WIDTH', [9, 4], 'RO', { volatile: true })]),
  ],
};

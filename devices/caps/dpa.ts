/**
 * Dynamic Power Allocation (PCI_EXT_CAP_ID_DPA, 0x0016).
 * Spec: PCIe Base r6.0, "Dynamic Power Allocation (DPA) Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_DPA_CAP (u32): substate max [4:0] (PCI_DPA_CAP_SUBSTATE_MASK), transition latency
 *          unit [9:8], power allocation scale [13:12], latency values [23:16], [31:24]   RO
 *   +0x08  latency indicator (u32), one bit per substate                                 RO
 *   +0x0c  status (u16): substate status [4:0] (hardware), substate control enabled [8]   RO / RW1C
 *   +0x0e  control (u16): substate control [4:0]                                          RW
 *   +0x10  power allocation array: one byte per substate, 0..substate max                 RO
 *
 * Size: PCI_DPA_BASE_SIZEOF (16) + substate max + 1: VFIO's vfio_ext_cap_len.
 * Save/restore: Linux saves none of it. Reset: the control returns to substate 0.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, whole } from '../registers.js';
import { extCapHeader, extCapVersion } from './header-fields.js';

export const PCI_EXT_CAP_ID_DPA = 0x16;
export const PCI_DPA_CAP = 4;
export const PCI_DPA_BASE_SIZEOF = 16;

const substates = (c: CapReader) => (c.readb(PCI_DPA_CAP) & 0x1f) + 1;

export const dpa: CapabilityDef = {
  id: PCI_EXT_CAP_ID_DPA,
  extended: true,
  key: 'dpa',
  linuxId: 'PCI_EXT_CAP_ID_DPA',
  name: 'Dynamic Power Allocation',
  spec: 'PCIe r6.0, Dynamic Power Allocation (DPA) Extended Capability',
  version: extCapVersion,
  size: (c) => PCI_DPA_BASE_SIZEOF + substates(c),
  registers: (c) => [
    ...extCapHeader(),
    r('PCI_DPA_CAP', PCI_DPA_CAP, 4, [
      f('PCI_DPA_CAP_SUBSTATE_MASK', [4, 0], 'RO'), f('PCI_DPA_CAP_TLUNIT', [9, 8], 'RO'), f('PCI_DPA_CAP_PAS', [13, 12], 'RO'),
      f('PCI_DPA_CAP_XLCY0', [23, 16], 'RO'), f('PCI_DPA_CAP_XLCY1', [31, 24], 'RO'),
    ]),
    whole('PCI_DPA_LATENCY', 0x08, 4, 'RO'),
    r('PCI_DPA_STATUS', 0x0c, 2, [f('PCI_DPA_STATUS_SUBSTATE', [4, 0], 'RO', { volatile: true }), f('PCI_DPA_STATUS_CTRL_EN', 8, 'RW1C')]),
    r('PCI_DPA_CTRL', 0x0e, 2, [f('PCI_DPA_CTRL_SUBSTATE', [4, 0], 'RW')]),
    ...Array.from({ length: substates(c) }, (_, i) => whole(`PCI_DPA_PWR_ALLOC[${i}]`, 0x10 + i, 1, 'RO')),
  ],
};

/**
 * Multicast (PCI_EXT_CAP_ID_MCAST, 0x0012).
 * Spec: PCIe Base r6.0, "Multicast Extended Capability" (names: pciutils lib/header.h).
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_MCAST_CAP (u16): max group [5:0], window size requested [13:8], ECRC regen [15]  RO
 *   +0x06  PCI_MCAST_CTRL (u16): num group [5:0], enable [15]                              RW
 *   +0x08  PCI_MCAST_BAR (u64): index position [5:0], base address [63:12]                  RW
 *   +0x10  PCI_MCAST_RCV, +0x18 PCI_MCAST_BLOCK, +0x20 PCI_MCAST_BLOCK_UNTRANS (u64 vectors) RW
 *   +0x28  PCI_MCAST_OVL_BAR (u64, Root Ports and Switch Ports only): size [5:0], base [63:6]  RW
 *
 * Size: PCI_EXT_CAP_MCAST_ENDPOINT_SIZEOF (40) for an Endpoint or RCiEP, 48 with the overlay BAR
 * (ls-ecaps.c cap_multicast shows the overlay BAR for every type but those two).
 * Save/restore: Linux saves none of it (VFIO's pci_ext_cap_length gives the endpoint size and
 * virtualizes nothing). Reset: not sticky.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, whole, type RegisterDef } from '../registers.js';
import { extCapHeader, extCapVersion } from './header-fields.js';

export const PCI_EXT_CAP_ID_MCAST = 0x12;
export const PCI_EXT_CAP_MCAST_ENDPOINT_SIZEOF = 40;
const PCI_EXP_TYPE_ENDPOINT = 0x0, PCI_EXP_TYPE_RC_END = 0x9;

const hasOverlay = (c: CapReader) => c.pcieType !== PCI_EXP_TYPE_ENDPOINT && c.pcieType !== PCI_EXP_TYPE_RC_END;

const vector = (name: string, at: number): RegisterDef[] => [whole(`${name}_LO`, at, 4, 'RW'), whole(`${name}_HI`, at + 4, 4, 'RW')];

export const mcast: CapabilityDef = {
  id: PCI_EXT_CAP_ID_MCAST,
  extended: true,
  key: 'mcast',
  linuxId: 'PCI_EXT_CAP_ID_MCAST',
  name: 'Multicast',
  spec: 'PCIe r6.0, Multicast Extended Capability',
  version: extCapVersion,
  size: (c) => PCI_EXT_CAP_MCAST_ENDPOINT_SIZEOF + (hasOverlay(c) ? 8 : 0),
  registers: (c) => [
    ...extCapHeader(),
    r('PCI_MCAST_CAP', 0x04, 2, [f('PCI_MCAST_CAP_MAX_GROUP', [5, 0], 'RO'), f('PCI_MCAST_CAP_WIN_SIZE', [13, 8], 'RO'), f('PCI_MCAST_CAP_ECRC', 15, 'RO')]),
    r('PCI_MCAST_CTRL', 0x06, 2, [f('PCI_MCAST_CTRL_NUM_GROUP', [5, 0], 'RW'), f('PCI_MCAST_CTRL_ENABLE', 15, 'RW')]),
    r('PCI_MCAST_BAR_LO', 0x08, 4, [f('PCI_MCAST_BAR_INDEX_POS', [5, 0], 'RW'), f('PCI_MCAST_BAR_MASK', [31, 12], 'RW')]),
    whole('PCI_MCAST_BAR_HI', 0x0c, 4, 'RW'),
    ...vector('PCI_MCAST_RCV', 0x10),
    ...vector('PCI_MCAST_BLOCK', 0x18),
    ...vector('PCI_MCAST_BLOCK_UNTRANS', 0x20),
    ...(hasOverlay(c) ? [
      r('PCI_MCAST_OVL_BAR_LO', 0x28, 4, [f('PCI_MCAST_OVL_SIZE', [5, 0], 'RW'), f('PCI_MCAST_OVL_MASK', [31, 6], 'RW')]),
      whole('PCI_MCAST_OVL_BAR_HI', 0x2c, 4, 'RW'),
    ] : []),
  ],
};

/**
 * Secondary PCI Express (PCI_EXT_CAP_ID_SECPCI, 0x0019): 8.0 GT/s link equalization.
 * Spec: PCIe Base r6.0 7.7.3 "Secondary PCI Express Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_EXP_LNKCTL3 (u32)       PE[0] Perform Equalization, LERIE[1] Link Equalization
 *                                      Request Interrupt Enable, [15:9] Enable Lower SKP OS
 *                                      Generation Vector; all RW
 *   +0x08  Lane Error Status (u32)     one RW1C, sticky bit per Lane
 *   +0x0c  PCI_SECPCI_LE_CTRL          one u16 per Lane up to the Maximum Link Width
 *                                      (PCI_EXP_LNKCAP_MLW): Downstream Port Transmitter Preset
 *                                      [3:0], Receiver Preset Hint [6:4], Upstream Port
 *                                      Transmitter Preset [11:8], Receiver Preset Hint [14:12]
 *
 * Size: 0x0c + 2 bytes per Lane, rounded up to a dword (an odd width leaves the last half
 * reserved). pci_regs.h names PCI_EXP_LNKCTL3 and PCI_SECPCI_LE_CTRL only; the other names here
 * follow the spec. The presets are set by firmware for the link (HwInit here).
 * Save/restore: Linux saves none of it (no buffer in pci_save_state, linux-pci.md 2.2).
 * Reset: Lane Error Status is sticky; the rest returns to defaults on conventional reset.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r, type RegisterDef } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import { maxLinkWidth as lanes } from './link-width.js';

export const PCI_EXT_CAP_ID_SECPCI = 0x19;
export const PCI_EXP_LNKCTL3 = 0x04;
export const PCI_SECPCI_LANE_ERR_STA = 0x08;
export const PCI_SECPCI_LE_CTRL = 0x0c;

function laneEqualization(n: number): RegisterDef[] {
  return Array.from({ length: n }, (_, lane) => r(`PCI_SECPCI_LE_CTRL[${lane}]`, PCI_SECPCI_LE_CTRL + 2 * lane, 2, [
    f('PCI_SECPCI_LE_DSP_TX_PRESET', [3, 0], 'HwInit'),
    f('PCI_SECPCI_LE_DSP_RX_HINT', [6, 4], 'HwInit'),
    f('PCI_SECPCI_LE_USP_TX_PRESET', [11, 8], 'HwInit'),
    f('PCI_SECPCI_LE_USP_RX_HINT', [14, 12], 'HwInit'),
  ]));
}

export const secpci: CapabilityDef = {
  id: PCI_EXT_CAP_ID_SECPCI,
  extended: true,
  key: 'secpci',
  linuxId: 'PCI_EXT_CAP_ID_SECPCI',
  name: 'Secondary PCI Express',
  spec: 'PCIe r6.0 7.7.3',
  version: (c) => (c.readl(0) >>> 16) & 0xf,
  size: (c) => PCI_SECPCI_LE_CTRL + 4 * Math.ceil(lanes(c) / 2),
  registers: (c) => [
    ...extCapHeader(),
    r('PCI_EXP_LNKCTL3', PCI_EXP_LNKCTL3, 4, [
      f('PCI_EXP_LNKCTL3_PE', 0, 'RW'),
      f('PCI_EXP_LNKCTL3_LERIE', 1, 'RW'),
      f('PCI_EXP_LNKCTL3_SKP_GEN_VECTOR', [15, 9], 'RW'),
    ]),
    r('PCI_SECPCI_LANE_ERR_STA', PCI_SECPCI_LANE_ERR_STA, 4, [f('PCI_SECPCI_LANE_ERR_STA', [31, 0], 'RW1C', { sticky: true })]),
    ...laneEqualization(lanes(c)),
  ],
};

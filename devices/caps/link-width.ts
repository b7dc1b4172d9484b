/** Per-lane structures (Secondary PCIe, Physical Layer 16/32/64 GT/s, Lane Margining) are sized by the link. */
import type { CapReader } from '../capability.js';
import { f, r, type RegisterDef } from '../registers.js';

/** PCI_EXP_LNKCAP_MLW (bits 9:4); a function without a readable PCIe capability is taken as x1. */
export const maxLinkWidth = (c: CapReader): number => Math.max(1, ((c.pcieLnkcap ?? 0x10) >>> 4) & 0x3f);


/** Offset of the per-Lane Equalization Control bytes in the Physical Layer 16/32/64 GT/s capabilities. */
export const PL_LE_CTRL = 0x20;

/** Size of a Physical Layer capability: 0x20 + one byte per Lane, rounded up to a dword. */
export const physLayerSize = (c: CapReader): number => PL_LE_CTRL + 4 * Math.ceil(maxLinkWidth(c) / 4);

/** One Lane Equalization Control byte per Lane: Downstream Port Transmitter Preset [3:0], Upstream Port [7:4]. */
export function laneEqualizationBytes(prefix: string, c: CapReader): RegisterDef[] {
  return Array.from({ length: maxLinkWidth(c) }, (_, lane) => r(`${prefix}_LE_CTRL[${lane}]`, PL_LE_CTRL + lane, 1, [
    f(`${prefix}_LE_CTRL_DSP_TX_PRESET_MASK`, [3, 0], 'HwInit'),
    f(`${prefix}_LE_CTRL_USP_TX_PRESET_MASK`, [7, 4], 'HwInit'),
  ]));
}

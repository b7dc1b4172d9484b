/**
 * TPH Requester (PCI_EXT_CAP_ID_TPH, 0x0017).
 * Spec: PCIe Base r6.0 7.9.13 "TPH Requester Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_TPH_CAP   ST_NS[0] ST_IV[1] ST_DS[2] EXT_TPH[8] LOC[10:9] ST_TABLE_SIZE[26:16]   RO
 *   +0x08  PCI_TPH_CTRL  MODE_SEL[2:0] REQ_EN[9:8]                                          RW
 *   +0x0c  PCI_TPH_ST_TABLE[i] (u16), i < N, only when LOC = 01b (PCI_TPH_LOC_CAP)          RW
 *
 * N = ST Table Size + 1 (tph.c get_st_table_size). The spec caps an in-capability table at 64
 * entries (the 11-bit field allows 2048 for a table in the MSI-X table), so N is clamped to 64
 * here. Size: PCI_TPH_BASE_SIZEOF (0x0c) + 2N rounded up to a dword (an odd N leaves the upper
 * half of the last dword reserved).
 * Save/restore (linux-pci.md 2.2; tph.c pci_save_tph_state/pci_restore_tph_state, v6.13+): a
 * buffer of 4 + 2N bytes, u32 PCI_TPH_CTRL then N u16 ST entries, saved and restored only while
 * tph_enabled. Linux sizes it with the unclamped N (pci_tph_init), so a malformed ST Table Size
 * makes Linux read past the capability.
 * Reset: not sticky; FLR clears TPH_CTRL and the ST table.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, type RegisterDef } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import {
  PCI_EXT_CAP_ID_TPH, PCI_TPH_BASE_SIZEOF, PCI_TPH_CAP, PCI_TPH_CAP_LOC_MASK, PCI_TPH_CAP_ST_MASK,
  PCI_TPH_CTRL, PCI_TPH_LOC_CAP,
} from '../pci-regs.js';

export const TPH_ST_TABLE_IN_CAP_MAX = 64;

/** ST table entries held in the capability, as Linux computes them (0 unless LOC = in-capability). */
export function tphStEntriesLinux(c: CapReader): number {
  const cap = c.readl(PCI_TPH_CAP);
  if ((cap & PCI_TPH_CAP_LOC_MASK) !== PCI_TPH_LOC_CAP) return 0;
  return ((cap & PCI_TPH_CAP_ST_MASK) >>> 16) + 1;
}

/** The same, clamped to the spec maximum for an in-capability table. */
export function tphStEntries(c: CapReader): number {
  return Math.min(tphStEntriesLinux(c), TPH_ST_TABLE_IN_CAP_MAX);
}

export const tph: CapabilityDef = {
  id: PCI_EXT_CAP_ID_TPH,
  extended: true,
  key: 'tph',
  linuxId: 'PCI_EXT_CAP_ID_TPH',
  name: 'TPH Requester',
  spec: 'PCIe r6.0 7.9.13',
  version: (c) => (c.readl(0) >>> 16) & 0xf,
  size: (c) => PCI_TPH_BASE_SIZEOF + 4 * Math.ceil(tphStEntries(c) / 2),
  registers: (c) => {
    const regs: RegisterDef[] = [
      ...extCapHeader(),
      r('PCI_TPH_CAP', PCI_TPH_CAP, 4, [
        f('PCI_TPH_CAP_ST_NS', 0, 'RO'),
        f('PCI_TPH_CAP_ST_IV', 1, 'RO'),
        f('PCI_TPH_CAP_ST_DS', 2, 'RO'),
        f('PCI_TPH_CAP_EXT_TPH', 8, 'RO'),
        f('PCI_TPH_CAP_LOC_MASK', [10, 9], 'RO', { doc: '0 none, 1 in this capability, 2 in the MSI-X table' }),
        f('PCI_TPH_CAP_ST_MASK', [26, 16], 'RO', { doc: 'ST Table Size - 1' }),
      ]),
      r('PCI_TPH_CTRL', PCI_TPH_CTRL, 4, [
        f('PCI_TPH_CTRL_MODE_SEL_MASK', [2, 0], 'RW'),
        f('PCI_TPH_CTRL_REQ_EN_MASK', [9, 8], 'RW'),
      ]),
    ];
    for (let i = 0; i < tphStEntries(c); i++) {
      regs.push(r(`PCI_TPH_ST_TABLE[${i}]`, PCI_TPH_BASE_SIZEOF + 2 * i, 2, [
        f('PCI_TPH_ST_LOWER', [7, 0], 'RW'),
        f('PCI_TPH_ST_UPPER', [15, 8], 'RW'),
      ]));
    }
    return regs;
  },
};

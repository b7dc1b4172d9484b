/**
 * Enhanced Allocation capability (PCI_CAP_ID_EA, 0x14).
 * Spec: PCI Enhanced Allocation ECN (2014); PCIe r6.0 7.8.5. Linux: drivers/pci/pci.c pci_ea_init,
 * pci_ea_read.
 *
 *   +0x00 ID | NEXT | PCI_EA_NUM_ENT (u8, bits 5:0) | reserved
 *   +0x04 (type 1 header only) fixed secondary bus (u8) | fixed subordinate bus (u8) | reserved
 *   then PCI_EA_NUM_ENT entries, each (ES + 1) dwords:
 *     DW0  ES 2:0 | BEI 7:4 | PP 15:8 | SP 23:16 | WRITABLE 30 | ENABLE 31
 *     DW1  Base 31:2 | IS_64 bit 1          DW2  MaxOffset 31:2 | IS_64 bit 1
 *     DW3  Base 63:32 (if Base IS_64)       DW4  MaxOffset 63:32 (if MaxOffset IS_64)
 *   pci_ea_read steps by (ES + 1) * 4 bytes whatever the entry holds; so does the size here.
 *
 * Access: every field is HwInit (fixed by hardware/firmware) except ENABLE, RW so software can
 * disable an entry (as the task brief and the ECN's Enable bit describe), and Base/MaxOffset,
 * which are RW when the entry's WRITABLE bit is set (pci_regs.h PCI_EA_WRITABLE "1 = RW,
 * 0 = HwInit"). Dwords beyond the ones Linux reads are RO. The structure is clamped to the 256-byte
 * standard configuration space. Save/restore: Linux saves none of it; not sticky.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, whole, type RegisterDef } from '../registers.js';
import { capHeader } from './header-fields.js';
import {
  PCI_CAP_ID_EA, PCI_EA_ES, PCI_EA_FIRST_ENT, PCI_EA_FIRST_ENT_BRIDGE, PCI_EA_IS_64, PCI_EA_NUM_ENT,
  PCI_EA_NUM_ENT_MASK, PCI_EA_WRITABLE,
} from '../pci-regs.js';

export interface EaEntry {
  /** Offset of DW0 relative to the capability. */
  readonly at: number;
  readonly dw0: number;
  /** Bytes the entry occupies: (ES + 1) * 4. */
  readonly size: number;
}

/** Entries as pci_ea_init walks them, stopping at the end of standard config space. */
export function eaEntries(c: CapReader): { entries: EaEntry[]; size: number } {
  const count = c.readb(PCI_EA_NUM_ENT) & PCI_EA_NUM_ENT_MASK;
  const limit = 0x100 - c.offset;
  let at = c.headerType === 1 ? PCI_EA_FIRST_ENT_BRIDGE : PCI_EA_FIRST_ENT;
  const entries: EaEntry[] = [];
  for (let i = 0; i < count; i++) {
    const dw0 = c.readl(at);
    const size = ((dw0 & PCI_EA_ES) + 1) * 4;
    if (at + size > limit) break;
    entries.push({ at, dw0, size });
    at += size;
  }
  return { entries, size: Math.min(at, limit) };
}

function entryRegisters(c: CapReader, n: number, e: EaEntry): RegisterDef[] {
  const p = `PCI_EA_ENT${n}`;
  const addr = (e.dw0 & PCI_EA_WRITABLE) !== 0 ? 'RW' : 'HwInit';
  const regs: RegisterDef[] = [
    r(`${p}_DW0`, e.at, 4, [
      f(`${p}_ES`, [2, 0], 'HwInit', { doc: 'Entry Size: dwords after DW0' }),
      f(`${p}_BEI`, [7, 4], 'HwInit', { doc: 'BAR Equivalent Indicator' }),
      f(`${p}_PP`, [15, 8], 'HwInit', { doc: 'Primary Properties' }),
      f(`${p}_SP`, [23, 16], 'HwInit', { doc: 'Secondary Properties' }),
      f(`${p}_WRITABLE`, 30, 'HwInit'),
      f(`${p}_ENABLE`, 31, 'RW'),
    ]),
  ];
  const words = e.size / 4 - 1;
  if (words >= 1) regs.push(r(`${p}_BASE`, e.at + 4, 4, [f(`${p}_BASE_IS_64`, 1, 'HwInit'), f(`${p}_BASE`, [31, 2], addr)]));
  if (words >= 2) regs.push(r(`${p}_MAX_OFFSET`, e.at + 8, 4, [f(`${p}_MAX_OFFSET_IS_64`, 1, 'HwInit'), f(`${p}_MAX_OFFSET`, [31, 2], addr)]));
  // The upper dwords follow in the order pci_ea_read reads them: Base's, then MaxOffset's.
  const uppers: string[] = [];
  if (words >= 1 && (c.readl(e.at + 4) & PCI_EA_IS_64)) uppers.push(`${p}_BASE_UPPER`);
  if (words >= 2 && (c.readl(e.at + 8) & PCI_EA_IS_64)) uppers.push(`${p}_MAX_OFFSET_UPPER`);
  for (let w = 3; w <= words; w++) {
    const name = uppers[w - 3];
    regs.push(name !== undefined ? whole(name, e.at + 4 * w, 4, addr) : whole(`${p}_DW${w}`, e.at + 4 * w, 4, 'RO'));
  }
  return regs;
}

export const ea: CapabilityDef = {
  id: PCI_CAP_ID_EA,
  extended: false,
  key: 'ea',
  linuxId: 'PCI_CAP_ID_EA',
  name: 'Enhanced Allocation',
  spec: 'PCI EA ECN; PCIe r6.0 7.8.5',
  version: () => 0,
  size: (c) => eaEntries(c).size,
  registers: (c) => {
    const regs: RegisterDef[] = [
      ...capHeader(),
      r('PCI_EA_NUM_ENT', PCI_EA_NUM_ENT, 2, [f('PCI_EA_NUM_ENT', [5, 0], 'HwInit')]),
    ];
    const { entries, size } = eaEntries(c);
    if (c.headerType === 1 && size >= PCI_EA_FIRST_ENT_BRIDGE) {
      regs.push(r('PCI_EA_BRIDGE_BUSES', 0x04, 4, [
        f('PCI_EA_SEC_BUS', [7, 0], 'HwInit', { doc: 'Fixed Secondary Bus Number (pciutils PCI_EA_CAP_TYPE1_SECONDARY)' }),
        f('PCI_EA_SUB_BUS', [15, 8], 'HwInit', { doc: 'Fixed Subordinate Bus Number' }),
      ]));
    }
    entries.forEach((e, n) => regs.push(...entryRegisters(c, n, e)));
    return regs;
  },
};

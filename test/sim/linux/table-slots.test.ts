/**
 * bufferSlots for the table-shaped buffers (sim/linux/layouts.ts): TPH's data[] is tph.c
 * pci_save_tph_state's u32 PCI_TPH_CTRL then one u16 per ST entry when the table lives in the
 * capability (pcie_tph_get_st_table_size); without a reader of the capability there is no layout.
 */
import { describe, expect, it } from 'vitest';
import { bufferSlots, LINUX_LAYOUTS } from '../../../sim/linux/layouts.js';

const tphCap = (loc: number, st: number) => (rel: number) => (rel === 4 ? ((loc << 9) | (st << 16)) >>> 0 : 0);

describe('TPH buffer slots', () => {
  it('ST table in the capability (PCI_TPH_LOC_CAP), 4 entries: CTRL at data 0, entries at +0x0c.. into data 4..', () => {
    const slots = bufferSlots(LINUX_LAYOUTS, 0x17, true, false, tphCap(1, 3))!;
    expect(slots.map((s) => [s.name, s.offset, s.dataOffset, s.width])).toEqual([
      ['PCI_TPH_CTRL', 0x08, 0, 4], ['PCI_TPH_ST_TABLE[0]', 0x0c, 4, 2], ['PCI_TPH_ST_TABLE[1]', 0x0e, 6, 2],
      ['PCI_TPH_ST_TABLE[2]', 0x10, 8, 2], ['PCI_TPH_ST_TABLE[3]', 0x12, 10, 2],
    ]);
  });
  it('ST table in MSI-X (location 2): the control register only', () => {
    expect(bufferSlots(LINUX_LAYOUTS, 0x17, true, false, tphCap(2, 7))!.map((s) => s.name)).toEqual(['PCI_TPH_CTRL']);
  });
  it('no reader: VC and TPH have no layout', () => {
    expect([0x02, 0x08, 0x09, 0x17].map((id) => bufferSlots(LINUX_LAYOUTS, id, true, false))).toEqual([undefined, undefined, undefined, undefined]);
  });
});

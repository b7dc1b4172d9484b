import { describe, expect, it } from 'vitest';
import { af } from '../../../devices/caps/af.js';
import { ea } from '../../../devices/caps/ea.js';
import { pcix } from '../../../devices/caps/pcix.js';
import { ssvid } from '../../../devices/caps/ssvid.js';
import { vndr } from '../../../devices/caps/vndr.js';
import { placeCap, regNames } from './std-cap.js';
import { PCI_AF_CTRL, PCI_AF_STATUS, PCI_X_CMD, PCI_X_STATUS } from '../../../devices/pci-regs.js';

describe('PCI-X', () => {
  it('function: 8 bytes for version 0, 24 with the ECC registers (version 1/2)', () => {
    expect(placeCap(pcix, []).size).toBe(8);
    const v1 = placeCap(pcix, [[PCI_X_CMD, 2, 0x1000]]);
    expect([v1.version, v1.size]).toEqual([1, 24]);
    expect(regNames(v1)).toContain('PCI_X_ECC_CSR');
  });

  it('bridge: secondary status at +2, split transaction control, 16 bytes for version 0', () => {
    const c = placeCap(pcix, [], { headerType: 1 });
    expect(c.size).toBe(16);
    expect(regNames(c)).toEqual(['PCI_CAP_LIST_ID', 'PCI_CAP_LIST_NEXT', 'PCI_X_BRIDGE_SSTATUS', 'PCI_X_BRIDGE_STATUS', 'PCI_X_BRIDGE_UP_SPLIT', 'PCI_X_BRIDGE_DOWN_SPLIT']);
  });

  it('PCI_X_CMD control bits are RW, the version is RO; status split errors are RW1C', () => {
    const c = placeCap(pcix, [[PCI_X_CMD, 2, 0x2000], [PCI_X_STATUS, 4, 0x200c_0000]]);
    c.space.write(c.at + PCI_X_CMD, 2, 0xffff);
    expect(c.space.read(c.at + PCI_X_CMD, 2)).toBe(0x207f);
    c.space.write(c.at + PCI_X_STATUS, 4, 0xffffffff);
    expect(c.space.read(c.at + PCI_X_STATUS, 4)).toBe(0);
  });
});

describe('Vendor-Specific', () => {
  it('takes its size from the length byte and declares every vendor byte read-only', () => {
    const c = placeCap(vndr, [[2, 1, 0x14]]);
    expect(c.size).toBe(0x14);
    expect(Math.max(...c.regs.map((r) => r.offset + r.width))).toBe(0x14);
    c.space.write(c.at + 4, 4, 0xffffffff);
    expect(c.space.read(c.at + 4, 4)).toBe(0);
  });

  it('a length below 3 is taken as the 3 bytes of the header', () => {
    expect(placeCap(vndr, [[2, 1, 0]]).size).toBe(3);
  });
});

describe('Bridge Subsystem ID', () => {
  it('is 8 bytes of HwInit IDs', () => {
    const c = placeCap(ssvid, [[4, 4, 0x11001af4]]);
    expect(c.size).toBe(8);
    c.space.write(c.at + 4, 4, 0);
    expect(c.space.read(c.at + 4, 4)).toBe(0x11001af4);
    expect(c.space.mask('hwinit', c.at + 4, 4)).toBe(0xffffffff);
  });
});

describe('Advanced Features', () => {
  it('AF_CTRL FLR is self-clearing, AF_STATUS TP is volatile and read-only', () => {
    const c = placeCap(af, [[2, 2, 0x0306], [PCI_AF_STATUS, 1, 1]]);
    c.space.write(c.at + PCI_AF_CTRL, 2, 0xffff);
    expect(c.space.read(c.at + PCI_AF_CTRL, 2)).toBe(0x0100); // FLR read back 0, TP untouched
    expect(c.space.mask('selfClearing', c.at + PCI_AF_CTRL, 1)).toBe(1);
    expect(c.space.mask('volatile', c.at + PCI_AF_STATUS, 1)).toBe(1);
    expect(c.size).toBe(6);
  });
});

describe('Enhanced Allocation', () => {
  it('walks NUM_ENT entries of (ES + 1) dwords, 64-bit ones with upper dwords', () => {
    const c = placeCap(ea, [
      [2, 1, 2],
      // entry 0: ES=2, BEI 0, memory, enabled; 32-bit base/max offset
      [4, 4, 0x8000_0002], [8, 4, 0xfe00_0000], [12, 4, 0x0000_0ffc],
      // entry 1: ES=4, writable, 64-bit base and max offset
      [16, 4, 0xc000_0014], [20, 4, 0x0000_0002], [24, 4, 0x0000_0002], [28, 4, 1], [32, 4, 0],
    ]);
    expect(c.size).toBe(36);
    expect(regNames(c).filter((n) => n.startsWith('PCI_EA_ENT1'))).toEqual(['PCI_EA_ENT1_DW0', 'PCI_EA_ENT1_BASE', 'PCI_EA_ENT1_MAX_OFFSET', 'PCI_EA_ENT1_BASE_UPPER', 'PCI_EA_ENT1_MAX_OFFSET_UPPER']);
  });

  it('ENABLE is RW; Base/MaxOffset are HwInit unless WRITABLE', () => {
    const c = placeCap(ea, [[2, 1, 2], [4, 4, 0x8000_0002], [8, 4, 0xfe00_0000], [16, 4, 0xc000_0002], [20, 4, 0]]);
    c.space.write(c.at + 4, 4, 0);
    expect(c.space.read(c.at + 4, 4)).toBe(0x0000_0002);
    c.space.write(c.at + 8, 4, 0);
    expect(c.space.read(c.at + 8, 4)).toBe(0xfe00_0000);
    c.space.write(c.at + 20, 4, 0xffff_fffc);
    expect(c.space.read(c.at + 20, 4)).toBe(0xffff_fffc);
  });

  it('a bridge has the fixed bus numbers dword first; entries start at +8', () => {
    const c = placeCap(ea, [[2, 1, 1], [4, 2, 0x0302], [8, 4, 0x8000_0000]], { headerType: 1 });
    expect(regNames(c)).toContain('PCI_EA_BRIDGE_BUSES');
    expect(c.size).toBe(12);
  });

  it('entries that would run past 0x100 are not taken (bounded on garbage)', () => {
    const c = placeCap(ea, [[2, 1, 0x3f], [4, 4, 0x7], [36, 4, 0x7], [68, 4, 0x7]], { at: 0xc0 });
    expect(c.at + c.size).toBeLessThanOrEqual(0x100);
  });
});

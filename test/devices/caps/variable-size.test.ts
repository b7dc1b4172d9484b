/** Sizes and register sets that depend on the capability's own bytes. */
import { describe, expect, it } from 'vitest';
import { acs } from '../../../devices/caps/acs.js';
import { dpc } from '../../../devices/caps/dpc.js';
import { dvsec } from '../../../devices/caps/dvsec.js';
import { rebar } from '../../../devices/caps/rebar.js';
import { sriov } from '../../../devices/caps/sriov.js';
import { tph } from '../../../devices/caps/tph.js';
import { mfvc, vc, vc9 } from '../../../devices/caps/vc.js';
import { vsec } from '../../../devices/caps/vsec.js';
import { CAP_AT, extBytes, names, reader, spaceFor } from './helpers.js';

describe('REBAR: 4 + 8 * NBAR (PCI_REBAR_CTRL_NBAR_MASK of the first entry)', () => {
  it.each([[1, 12], [3, 28], [6, 52]])('NBAR %i -> %i bytes', (nbar, size) => {
    const r = reader(extBytes(0x15, 1, { 0x08: nbar << 5 }));
    expect(rebar.size(r)).toBe(size);
    expect(names(rebar, r).filter((n) => n.startsWith('PCI_REBAR_CTRL['))).toHaveLength(nbar);
  });
  it('NBAR 0 and 7 are malformed and clamp to 1 and 6 entries', () => {
    expect(rebar.size(reader(extBytes(0x15, 1, { 0x08: 0 })))).toBe(12);
    expect(rebar.size(reader(extBytes(0x15, 1, { 0x08: 7 << 5 })))).toBe(52);
  });
  it('BAR_SIZE is writable, BAR_IDX and NBAR are not', () => {
    const space = spaceFor(rebar, extBytes(0x15, 1, { 0x08: (2 << 5) | 1 }));
    space.write(CAP_AT + 0x08, 4, 0xffffffff);
    expect(space.read(CAP_AT + 0x08, 4)).toBe((0x1f << 8) | (2 << 5) | 1);
  });
});

describe('VC, VC9, MFVC: 0x10 + 0x0c * (EVCC + 1)', () => {
  it.each([[0, 0x1c], [1, 0x28], [7, 0x70]])('EVCC %i -> %i bytes', (evcc, size) => {
    for (const def of [vc, vc9, mfvc]) {
      const r = reader(extBytes(def.id, 1, { 0x04: 0x70 | evcc }));
      expect(def.size(r)).toBe(size);
      expect(names(def, r).filter((n) => n.startsWith('PCI_VC_RES_CTRL['))).toHaveLength(evcc + 1);
    }
  });
  it('VC0 cannot be disabled or renumbered and keeps TC0; VC1 can', () => {
    const bytes = extBytes(2, 1, { 0x04: 1, 0x14: 0x800000ff, 0x20: 0 });
    const space = spaceFor(vc, bytes);
    space.write(CAP_AT + 0x14, 4, 0);
    expect(space.read(CAP_AT + 0x14, 4)).toBe(0x80000001);
    space.write(CAP_AT + 0x20, 4, 0x870000fe);
    expect(space.read(CAP_AT + 0x20, 4)).toBe(0x870000fe);
  });
});

describe('DPC: Root Port extensions only on Root Ports with RP_EXT', () => {
  const RP_EXT = 0x20;
  it('without extensions the structure is 0x0c bytes', () => {
    expect(dpc.size(reader(extBytes(0x1d, 1, { 0x04: RP_EXT | (6 << 8) }), 6))).toBe(0x0c);
    expect(dpc.size(reader(extBytes(0x1d, 1, { 0x04: 6 << 8 }), 4))).toBe(0x0c);
  });
  it.each([[4, 0x30, false], [5, 0x34, false], [6, 0x38, true], [9, 0x44, true]])(
    'RP PIO log size %i -> %i bytes (TLP prefix log: %s)', (log, size, prefix) => {
      const r = reader(extBytes(0x1d, 1, { 0x04: RP_EXT | (log << 8) }), 4);
      expect(dpc.size(r)).toBe(size);
      expect(names(dpc, r)).toContain('PCI_EXP_DPC_RP_PIO_MASK');
      expect(names(dpc, r).includes('PCI_EXP_DPC_RP_PIO_TLPPREFIX_LOG[0]')).toBe(prefix);
    });
  it('LOG_SIZE4 extends the size; garbage clamps at 15 dwords', () => {
    expect(dpc.size(reader(extBytes(0x1d, 1, { 0x04: RP_EXT | (1 << 13) | (2 << 8) }), 4))).toBe(0x20 + 4 * 15);
    expect(dpc.size(reader(extBytes(0x1d, 1, { 0x04: 0xffff }), 4))).toBe(0x20 + 4 * 15);
  });
  it('Trigger Status is RW1CS; Software Trigger reads back 0', () => {
    const space = spaceFor(dpc, extBytes(0x1d, 1, { 0x08: 0x0009 }), 4);
    space.write(CAP_AT + 0x08, 2, 0x0001);
    expect(space.read(CAP_AT + 0x08, 2)).toBe(0x0008);
    space.write(CAP_AT + 0x06, 2, 0x0049);
    expect(space.read(CAP_AT + 0x06, 2)).toBe(0x0009);
  });
});

describe('TPH: ST table in the capability only when LOC = 1', () => {
  const cap = (loc: number, stSize: number) => (loc << 9) | (stSize << 16);
  it.each([[0, 7, 0x0c], [2, 7, 0x0c], [1, 0, 0x10], [1, 2, 0x14], [1, 3, 0x14], [1, 63, 0x8c]])(
    'LOC %i, ST Table Size %i -> %i bytes', (loc, st, size) => {
      expect(tph.size(reader(extBytes(0x17, 1, { 0x04: cap(loc, st) })))).toBe(size);
    });
  it('an ST Table Size beyond 64 entries clamps (Linux would size 4 + 2 * 2048 bytes)', () => {
    const r = reader(extBytes(0x17, 1, { 0x04: cap(1, 0x7ff) }));
    expect(tph.size(r)).toBe(0x0c + 128);
    expect(names(tph, r).filter((n) => n.startsWith('PCI_TPH_ST_TABLE['))).toHaveLength(64);
  });
});

describe('ACS: Egress Control Vector only with PCI_ACS_EC', () => {
  it.each([[0x0000, 8], [0x0820, 12], [0x2120, 16], [0x0020, 40]])('ACS_CAP %s -> %i bytes', (cap, size) => {
    const r = reader(extBytes(0x0d, 1, { 0x04: cap }));
    expect(acs.size(r)).toBe(size);
    expect(names(acs, r).filter((n) => n.startsWith('PCI_ACS_EGRESS_CTL_V['))).toHaveLength((size - 8) / 4);
  });
});

describe('VSEC and DVSEC: length from their header [31:20]', () => {
  it('VSEC uses PCI_VNDR_HEADER_LEN, at least 8', () => {
    expect(vsec.size(reader(extBytes(0x0b, 1, { 0x04: (0x18 << 20) | 0x1234 })))).toBe(0x18);
    expect(vsec.size(reader(extBytes(0x0b, 1, { 0x04: 2 << 20 })))).toBe(8);
  });
  it('DVSEC uses PCI_DVSEC_HEADER1_LEN, at least 0x0c', () => {
    expect(dvsec.size(reader(extBytes(0x23, 1, { 0x04: (0x38 << 20) | 0x1e98 })))).toBe(0x38);
    expect(dvsec.size(reader(extBytes(0x23, 1, { 0x04: 0 })))).toBe(0x0c);
  });
});

describe('SR-IOV VF BARs follow the type bits in the dump', () => {
  it('a 64-bit VF BAR0 makes BAR1 its fully writable upper half', () => {
    const space = spaceFor(sriov, extBytes(0x10, 1, { 0x24: 0x0000000c }));
    space.write(CAP_AT + 0x28, 4, 0xffffffff);
    expect(space.read(CAP_AT + 0x28, 4)).toBe(0xffffffff);
    space.write(CAP_AT + 0x24, 4, 0xffffffff);
    expect(space.read(CAP_AT + 0x24, 4)).toBe(0xfffffffc);
    space.write(CAP_AT + 0x2c, 4, 0xffffffff);
    expect(space.read(CAP_AT + 0x2c, 4)).toBe(0xfffffff0);
  });
});

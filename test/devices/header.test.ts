import { describe, expect, it } from 'vitest';
import { compileLayout } from '../../devices/compile.js';
import { ConfigSpace } from '../../devices/config-space.js';
import { DeviceError } from '../../devices/errors.js';
import { headerRegisters, type HeaderOptions } from '../../devices/header.js';
import {
  PCI_BRIDGE_CONTROL, PCI_BRIDGE_CTL_BUS_RESET, PCI_COMMAND, PCI_IO_BASE, PCI_IO_BASE_UPPER16,
  PCI_PREF_BASE_UPPER32, PCI_PREF_MEMORY_BASE, PCI_ROM_ADDRESS, PCI_STATUS,
} from '../../devices/pci-regs.js';

function space(headerType: number, init: Record<number, number> = {}, opts: Omit<HeaderOptions, 'bytes'> = {}): ConfigSpace {
  const bytes = new Uint8Array(256);
  for (const [at, v] of Object.entries(init)) new DataView(bytes.buffer).setUint32(Number(at), v, true);
  bytes[0x0e] = headerType;
  return new ConfigSpace(bytes, compileLayout(256, headerRegisters(headerType, { ...opts, bytes })));
}

describe('type 0 header', () => {
  it('COMMAND keeps only the PCIe-writable bits (IO, MEMORY, MASTER, PARITY, SERR, INTX_DISABLE)', () => {
    const s = space(0);
    s.write(PCI_COMMAND, 2, 0xffff);
    expect(s.read(PCI_COMMAND, 2)).toBe(0x0547);
  });

  it('STATUS error bits are RW1C: writing one bit clears only that bit', () => {
    const s = space(0);
    s.poke(PCI_STATUS, 2, 0xf910);
    s.write(PCI_STATUS, 2, 0x2000);
    expect(s.read(PCI_STATUS, 2)).toBe(0xd910);
  });

  it('BAR sizing: known sizes keep the bits below the size at 0, type bits read-only', () => {
    // e1000e-like: BAR0 32-bit mem 128 KiB, BAR2 I/O 32 bytes, BAR3/4 64-bit prefetchable 16 KiB, BAR5 absent.
    const s = space(0, { 0x10: 0, 0x18: 1, 0x1c: 0x0c, 0x20: 0 }, { barSizes: [0x20000, undefined, 32, 0x4000, undefined, 0] });
    for (let at = 0x10; at <= 0x24; at += 4) s.write(at, 4, 0xffffffff);
    expect(s.read(0x10, 4)).toBe(0xfffe0000);
    expect(s.read(0x14, 4)).toBe(0xfffffff0); // unknown size: every address bit RW
    expect(s.read(0x18, 4)).toBe(0xffffffe1);
    expect(s.read(0x1c, 4)).toBe(0xffffc00c);
    expect(s.read(0x20, 4)).toBe(0xffffffff); // upper half of the 64-bit BAR
    expect(s.read(0x24, 4)).toBe(0);
  });

  it('a 64-bit BAR larger than 4 GiB keeps the low upper-half bits at 0', () => {
    const s = space(0, { 0x10: 0x0c }, { barSizes: [2 ** 34] });
    s.write(0x10, 4, 0xffffffff);
    s.write(0x14, 4, 0xffffffff);
    expect(s.read(0x10, 4)).toBe(0x0000000c);
    expect(s.read(0x14, 4)).toBe(0xfffffffc);
  });

  it('expansion ROM: enable bit RW, reserved bits 10:1 stay 0, size alignment', () => {
    const s = space(0, {}, { barSizes: [, , , , , , 0x40000] });
    s.write(PCI_ROM_ADDRESS, 4, 0xffffffff);
    expect(s.read(PCI_ROM_ADDRESS, 4)).toBe(0xfffc0001);
  });

  it('a BAR size that is not a power of two is a profile error', () => {
    expect(() => headerRegisters(0, { barSizes: [3000] })).toThrow(DeviceError);
    expect(() => headerRegisters(0, { barSizes: [8] })).toThrow(/power of two >= 16/);
  });

  it('a 32-bit BAR cannot be larger than 4 GiB', () => {
    expect(() => headerRegisters(0, { barSizes: [2 ** 33] })).toThrow(/needs 64 bits/);
  });
});

describe('type 1 header (PCI-to-PCI bridge)', () => {
  it('bus numbers are RW, PCI_SEC_LATENCY_TIMER is hardwired 0', () => {
    const s = space(1);
    s.write(0x18, 4, 0xffffffff);
    expect(s.read(0x18, 4)).toBe(0x00ffffff);
  });

  it('BRIDGE_CONTROL: PARITY, SERR, ISA, VGA, VGA_16BIT and BUS_RESET are RW; the rest hardwired 0', () => {
    const s = space(1);
    s.write(PCI_BRIDGE_CONTROL, 2, 0xffff);
    expect(s.read(PCI_BRIDGE_CONTROL, 2)).toBe(0x005f);
    expect(s.read(PCI_BRIDGE_CONTROL, 2) & PCI_BRIDGE_CTL_BUS_RESET).toBe(PCI_BRIDGE_CTL_BUS_RESET);
  });

  it('secondary status bits are RW1C', () => {
    const s = space(1);
    s.poke(0x1e, 2, 0xf900);
    s.write(0x1e, 2, 0x4000);
    expect(s.read(0x1e, 2)).toBe(0xb900);
  });

  it('window upper halves are RW only when the type nibble says 32-bit I/O / 64-bit prefetchable', () => {
    const narrow = space(1, { [PCI_IO_BASE]: 0x0000, [PCI_PREF_MEMORY_BASE]: 0x0000 });
    narrow.write(PCI_IO_BASE_UPPER16, 4, 0xffffffff);
    narrow.write(PCI_PREF_BASE_UPPER32, 4, 0xffffffff);
    expect(narrow.read(PCI_IO_BASE_UPPER16, 4)).toBe(0);
    expect(narrow.read(PCI_PREF_BASE_UPPER32, 4)).toBe(0);
    const wide = space(1, { [PCI_IO_BASE]: 0x0101, [PCI_PREF_MEMORY_BASE]: 0x00010001 });
    wide.write(PCI_IO_BASE_UPPER16, 4, 0xffffffff);
    wide.write(PCI_PREF_BASE_UPPER32, 4, 0xffffffff);
    expect(wide.read(PCI_IO_BASE_UPPER16, 4)).toBe(0xffffffff);
    expect(wide.read(PCI_PREF_BASE_UPPER32, 4)).toBe(0xffffffff);
    wide.write(PCI_IO_BASE, 2, 0xffff);
    expect(wide.read(PCI_IO_BASE, 2)).toBe(0xf1f1);
  });

  it('has two BARs and the ROM at 0x38', () => {
    const names = headerRegisters(1).map((r) => r.name);
    expect(names).toContain('PCI_BASE_ADDRESS_1');
    expect(names).not.toContain('PCI_BASE_ADDRESS_2');
    expect(headerRegisters(1).find((r) => r.name === 'PCI_ROM_ADDRESS1')?.offset).toBe(0x38);
  });
});

describe('other header types', () => {
  it('type 2 (CardBus) declares the registers up to its capability pointer and secondary status', () => {
    const regs = headerRegisters(2);
    expect(regs.find((r) => r.name === 'PCI_CB_CAPABILITY_LIST')?.offset).toBe(0x14);
    expect(regs.find((r) => r.name === 'PCI_CB_SEC_STATUS')?.offset).toBe(0x16);
    expect(Math.max(...regs.map((r) => r.offset + r.width))).toBe(0x18);
  });

  it('an undefined header type (malformed dump) gets only the 16 common bytes, without throwing', () => {
    const regs = headerRegisters(0x7f);
    expect(Math.max(...regs.map((r) => r.offset + r.width))).toBe(0x10);
  });

  it('the multi-function bit does not change the layout', () => {
    expect(headerRegisters(0x81)).toEqual(headerRegisters(0x01));
  });
});

/**
 * The unpredictable classes (sim/predict/unpredictable.ts) on hand-made headers: a bridge window
 * the function started with closed is the kernel resource allocator's to open (seen on every
 * QEMU boot A: SeaBIOS leaves a port's I/O window 0xc0/0xb0 when nothing below has an I/O BAR,
 * Linux opens 0x10/0x10: fixtures/fidelity), an open one is the model's to keep, and an enabled
 * MSI's message is the vector allocator's.
 */
import { describe, expect, it } from 'vitest';
import { unpredictableClass } from '../../../sim/predict/unpredictable.js';

function bridge(io: [number, number], mem: [number, number] = [0xfff0, 0x0000]): Uint8Array {
  const b = new Uint8Array(256);
  b[0x0e] = 0x01;
  [b[0x1c], b[0x1d]] = io;
  b[0x20] = mem[0] & 0xff; b[0x21] = mem[0] >> 8;
  b[0x22] = mem[1] & 0xff; b[0x23] = mem[1] >> 8;
  return b;
}

describe('unpredictable classes', () => {
  it('a closed I/O window of a bridge: resource-allocator, for all its registers', () => {
    const before = bridge([0xc0, 0xb0]);
    for (const r of ['PCI_IO_BASE', 'PCI_IO_LIMIT']) expect(unpredictableClass(r, bridge([0x10, 0x10]), 0x1c, { before })).toBe('resource-allocator');
  });

  it('an open window is predictable; the memory window is judged on its own', () => {
    const before = bridge([0x10, 0x10], [0xfe80, 0xfe80]);
    expect(unpredictableClass('PCI_IO_BASE', before, 0x1c, { before })).toBeUndefined();
    expect(unpredictableClass('PCI_MEMORY_BASE', before, 0x20, { before })).toBeUndefined();
    expect(unpredictableClass('PCI_MEMORY_BASE', before, 0x20, { before: bridge([0x10, 0x10]) })).toBe('resource-allocator');
  });

  it('an endpoint has no windows; without a before state nothing is a window class', () => {
    const ep = bridge([0xc0, 0xb0]);
    ep[0x0e] = 0x00;
    expect(unpredictableClass('PCI_IO_BASE', ep, 0x1c, { before: ep })).toBeUndefined();
    expect(unpredictableClass('PCI_IO_BASE', bridge([0x10, 0x10]), 0x1c)).toBeUndefined();
  });

  it("an enabled MSI's message: vector-allocator", () => {
    const b = new Uint8Array(256);
    b[0x06] = 0x10; b[0x34] = 0x50; b[0x50] = 0x05; b[0x52] = 0x01;
    expect(unpredictableClass('PCI_MSI_ADDRESS_LO', b, 0x54, { msiCap: 0x50 })).toBe('vector-allocator');
    b[0x52] = 0x00;
    expect(unpredictableClass('PCI_MSI_ADDRESS_LO', b, 0x54, { msiCap: 0x50 })).toBeUndefined();
  });
});

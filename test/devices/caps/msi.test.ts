import { describe, expect, it } from 'vitest';
import { msi, msiLayout } from '../../../devices/caps/msi.js';
import { walkCapabilities } from '../../../devices/walker.js';
import { placeCap, regNames } from './std-cap.js';
import { PCI_MSI_FLAGS } from '../../../devices/pci-regs.js';

describe('MSI layout variants (PCI_MSI_FLAGS_64BIT x PCI_MSI_FLAGS_MASKBIT)', () => {
  it.each([
    [0x0000, 10, ['PCI_MSI_ADDRESS_LO', 'PCI_MSI_DATA_32']],
    [0x0080, 14, ['PCI_MSI_ADDRESS_LO', 'PCI_MSI_ADDRESS_HI', 'PCI_MSI_DATA_64']],
    [0x0100, 20, ['PCI_MSI_ADDRESS_LO', 'PCI_MSI_DATA_32', 'PCI_MSI_MASK_32', 'PCI_MSI_PENDING_32']],
    [0x0180, 24, ['PCI_MSI_ADDRESS_LO', 'PCI_MSI_ADDRESS_HI', 'PCI_MSI_DATA_64', 'PCI_MSI_MASK_64', 'PCI_MSI_PENDING_64']],
  ])('flags 0x%s gives size %i', (flags, size, regs) => {
    const c = placeCap(msi, [[PCI_MSI_FLAGS, 2, flags]]);
    expect(c.size).toBe(size);
    expect(regNames(c).slice(3)).toEqual(regs);
    expect(Math.max(...c.regs.map((r) => r.offset + r.width))).toBe(size);
  });

  it('the walker sizes QEMU 7.2 e1000e\'s MSI (64-bit, 1 vector, no mask) at 14 bytes', () => {
    const bytes = new Uint8Array(256);
    bytes[0] = 0x86; bytes[1] = 0x80; bytes[6] = 0x10; bytes[0x34] = 0xd0;
    bytes[0xd0] = 0x05; bytes[0xd2] = 0x80;
    const cap = walkCapabilities(bytes).capabilities[0];
    expect([cap.key, cap.size]).toEqual(['msi', 14]);
  });
});

describe('MSI register access', () => {
  it('Multiple Message Enable and Enable are RW; capable, 64-bit and mask-capable bits are RO', () => {
    const c = placeCap(msi, [[PCI_MSI_FLAGS, 2, 0x018a]]);
    c.space.write(c.at + PCI_MSI_FLAGS, 2, 0xffff);
    expect(c.space.read(c.at + PCI_MSI_FLAGS, 2)).toBe(0x01fb);
    c.space.write(c.at + PCI_MSI_FLAGS, 2, 0);
    expect(c.space.read(c.at + PCI_MSI_FLAGS, 2)).toBe(0x018a);
  });

  it('mask bits are RW only for the implemented vectors (2^QMASK)', () => {
    const c = placeCap(msi, [[PCI_MSI_FLAGS, 2, 0x0104]]); // 32-bit, maskable, QMASK=2: 4 vectors
    c.space.write(c.at + 0x0c, 4, 0xffffffff);
    expect(c.space.read(c.at + 0x0c, 4)).toBe(0xf);
  });

  it('32 vectors make every mask bit RW; reserved QMASK encodings are capped at 32', () => {
    expect(msiLayout(0x010a).vectors).toBe(32);
    expect(msiLayout(0x010e).vectors).toBe(32);
    const c = placeCap(msi, [[PCI_MSI_FLAGS, 2, 0x018e]]);
    c.space.write(c.at + 0x10, 4, 0xffffffff);
    expect(c.space.read(c.at + 0x10, 4)).toBe(0xffffffff);
  });

  it('pending bits are read-only and volatile', () => {
    const c = placeCap(msi, [[PCI_MSI_FLAGS, 2, 0x0180], [0x14, 4, 0x1]]);
    c.space.write(c.at + 0x14, 4, 0);
    expect(c.space.read(c.at + 0x14, 4)).toBe(1);
    expect(c.space.mask('volatile', c.at + 0x14, 4)).toBe(1);
  });

  it('the message address keeps bits 1:0 at 0 (dword aligned)', () => {
    const c = placeCap(msi, []);
    c.space.write(c.at + 4, 4, 0xffffffff);
    expect(c.space.read(c.at + 4, 4)).toBe(0xfffffffc);
  });
});

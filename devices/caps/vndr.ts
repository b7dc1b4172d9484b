/**
 * Vendor-Specific capability (PCI_CAP_ID_VNDR, 0x09).
 * Spec: PCI Local Bus r3.0 6.7 and appendix H; PCIe r6.0 7.9 (Vendor-Specific Capability).
 *
 *   +0x00 ID | NEXT | length (u8, bytes including this header) | vendor data ...
 *
 * Size comes from the length byte at +2 (at least 3; a smaller value is taken as 3, the bytes the
 * header itself needs). The vendor data is declared read-only in aligned chunks named by their
 * offset: lusim cannot know what a vendor defines, and a device profile overrides what is
 * writable (virtio's PCI_CFG window cap makes bar/offset/length/data RW,
 * hw/virtio/virtio-pci.c virtio_pci_realize; qemu.md section 2.1). Declaring them keeps QEMU's
 * "scratch" policy for unclaimed bytes from making vendor registers RW.
 * Save/restore: Linux saves none of it. Reset: vendor defined.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, whole, type RegisterDef } from '../registers.js';
import { capHeader } from './header-fields.js';

export const PCI_CAP_ID_VNDR = 0x09;
/** Offset of the length byte (Linux has no macro; QEMU and virtio use PCI_CAP_FLAGS = 2). */
export const PCI_VNDR_LENGTH = 0x02;

const vndrSize = (c: CapReader) => Math.max(3, c.readb(PCI_VNDR_LENGTH));

function vendorData(size: number): RegisterDef[] {
  const regs: RegisterDef[] = [];
  let at = 3;
  while (at < size) {
    const width = ([4, 2, 1] as const).find((w) => at % w === 0 && at + w <= size) ?? 1;
    regs.push(whole(`PCI_VNDR_DATA_${at.toString(16).padStart(2, '0')}`, at, width, 'RO'));
    at += width;
  }
  return regs;
}

export const vndr: CapabilityDef = {
  id: PCI_CAP_ID_VNDR,
  extended: false,
  key: 'vndr',
  linuxId: 'PCI_CAP_ID_VNDR',
  name: 'Vendor Specific Information',
  spec: 'PCI r3.0 6.7; PCIe r6.0 7.9',
  version: () => 0,
  size: vndrSize,
  registers: (c) => [
    ...capHeader(),
    r('PCI_VNDR_LENGTH', PCI_VNDR_LENGTH, 1, [f('PCI_VNDR_LENGTH', [7, 0], 'RO', { doc: 'capability length in bytes' })]),
    ...vendorData(vndrSize(c)),
  ],
};

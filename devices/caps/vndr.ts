/**
 * Vendor-Specific capability (PCI_CAP_ID_VNDR, 0x09).
 * Spec: PCI Local Bus r3.0 6.7 and appendix H; PCIe r6.0 7.9 (Vendor-Specific Capability).
 *
 *   +0x00 ID | NEXT | length (u8, bytes including this header) | vendor data ...
 *
 * Size comes from the length byte at +2 (at least 3; a smaller value is taken as 3, the bytes the
 * header itself needs). The vendor data is declared read-only in aligned chunks named by their
 * offset, each made of one-byte fields named by their own offset (PCI_VNDR_DATA_04 holds fields
 * PCI_VNDR_DATA_04.._07): lusim cannot know what a vendor defines, and a device profile overrides
 * what is writable, down to the byte and for one capability instance (virtio's PCI_CFG window cap
 * makes the one-byte bar, offset and length RW, hw/virtio/virtio-pci.c virtio_pci_realize;
 * qemu.md section 2.1). Declaring them keeps QEMU's "scratch" policy for unclaimed bytes from
 * making vendor registers RW.
 * Save/restore: Linux saves none of it. Reset: vendor defined.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, type RegisterDef } from '../registers.js';
import { capHeader } from './header-fields.js';
import { PCI_CAP_ID_VNDR } from '../pci-regs.js';

/** Offset of the length byte (Linux has no macro; QEMU and virtio use PCI_CAP_FLAGS = 2). */
export const PCI_VNDR_LENGTH = 0x02;

const vndrSize = (c: CapReader) => Math.max(3, c.readb(PCI_VNDR_LENGTH));

const vndrName = (at: number) => `PCI_VNDR_DATA_${at.toString(16).padStart(2, '0')}`;

function vendorData(size: number): RegisterDef[] {
  const regs: RegisterDef[] = [];
  let at = 3;
  while (at < size) {
    const width = ([4, 2, 1] as const).find((w) => at % w === 0 && at + w <= size) ?? 1;
    const bytes = Array.from({ length: width }, (_, i) => f(vndrName(at + i), [8 * i + 7, 8 * i], 'RO'));
    regs.push(r(vndrName(at), at, width, bytes));
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

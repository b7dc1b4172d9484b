/**
 * MSI capability (PCI_CAP_ID_MSI, 0x05).
 * Spec: PCI Local Bus r3.0 6.8.1; PCIe Base r6.0 7.7.1.
 *
 *   +0x00  ID | NEXT | PCI_MSI_FLAGS (u16)
 *   +0x04  PCI_MSI_ADDRESS_LO
 *   32-bit:                       64-bit:
 *   +0x08  PCI_MSI_DATA_32        +0x08  PCI_MSI_ADDRESS_HI
 *   +0x0c  PCI_MSI_MASK_32        +0x0c  PCI_MSI_DATA_64
 *   +0x10  PCI_MSI_PENDING_32     +0x10  PCI_MSI_MASK_64
 *                                 +0x14  PCI_MSI_PENDING_64
 *   Size: 10 (32-bit), 14 (64-bit), 20 (32-bit + per-vector masking), 24 (64-bit + masking);
 *   the mask and pending registers exist only with PCI_MSI_FLAGS_MASKBIT. With masking, the data
 *   register is followed by two reserved bytes (Extended Message Data in r6.0, not modelled: no
 *   pci_regs.h name), so it is declared 4 bytes wide there.
 *
 * Mask bits: RW only for the vectors the function implements, 2^PCI_MSI_FLAGS_QMASK (Multiple
 * Message Capable, at most 32); the rest are reserved (RsvdP: read-only). This is QEMU's choice
 * too (hw/pci/msi.c msi_init: mask wmask = 0xffffffff >> (32 - nr_vectors)). Pending bits of the
 * implemented vectors are RO and volatile (the function sets them); the rest are reserved.
 *
 * Save/restore: Linux does not save MSI in pci_save_state; pci_restore_msi_state regenerates it
 * from the kernel's msi_desc (linux-pci.md section 4). Reset: FLR and conventional reset clear
 * MSI Enable, Multiple Message Enable, address, data and mask bits (PCIe r6.0 7.7.1; QEMU
 * msi_reset does the same). Nothing is sticky.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, whole, type RegisterDef } from '../registers.js';
import { capHeader } from './header-fields.js';
import {
  PCI_CAP_ID_MSI, PCI_MSI_ADDRESS_HI, PCI_MSI_ADDRESS_LO, PCI_MSI_DATA_32, PCI_MSI_DATA_64, PCI_MSI_FLAGS,
  PCI_MSI_FLAGS_64BIT, PCI_MSI_FLAGS_MASKBIT, PCI_MSI_FLAGS_QMASK, PCI_MSI_MASK_32, PCI_MSI_MASK_64,
  PCI_MSI_PENDING_32, PCI_MSI_PENDING_64,
} from '../pci-regs.js';

export interface MsiLayout {
  readonly is64: boolean;
  readonly maskable: boolean;
  /** Vectors the function implements: 2^QMASK, capped at 32 (QMASK 6 and 7 are reserved encodings). */
  readonly vectors: number;
  readonly size: 10 | 14 | 20 | 24;
}

export function msiLayout(flags: number): MsiLayout {
  const is64 = (flags & PCI_MSI_FLAGS_64BIT) !== 0;
  const maskable = (flags & PCI_MSI_FLAGS_MASKBIT) !== 0;
  const vectors = Math.min(32, 1 << ((flags & PCI_MSI_FLAGS_QMASK) >> 1));
  const size = maskable ? (is64 ? 24 : 20) : is64 ? 14 : 10;
  return { is64, maskable, vectors, size };
}

function msiRegisters(c: CapReader): RegisterDef[] {
  const l = msiLayout(c.readw(PCI_MSI_FLAGS));
  const dataAt = l.is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
  const regs: RegisterDef[] = [
    ...capHeader(),
    r('PCI_MSI_FLAGS', PCI_MSI_FLAGS, 2, [
      f('PCI_MSI_FLAGS_ENABLE', 0, 'RW'),
      f('PCI_MSI_FLAGS_QMASK', [3, 1], 'RO', { doc: 'Multiple Message Capable: log2 of the vectors implemented' }),
      f('PCI_MSI_FLAGS_QSIZE', [6, 4], 'RW', { doc: 'Multiple Message Enable: log2 of the vectors allocated' }),
      f('PCI_MSI_FLAGS_64BIT', 7, 'RO'),
      f('PCI_MSI_FLAGS_MASKBIT', 8, 'RO', { doc: 'per-vector masking capable' }),
    ]),
    r('PCI_MSI_ADDRESS_LO', PCI_MSI_ADDRESS_LO, 4, [f('PCI_MSI_ADDRESS_LO', [31, 2], 'RW', { doc: 'bits 1:0 reserved: the address is dword aligned' })]),
  ];
  if (l.is64) regs.push(whole('PCI_MSI_ADDRESS_HI', PCI_MSI_ADDRESS_HI, 4, 'RW'));
  const dataName = l.is64 ? 'PCI_MSI_DATA_64' : 'PCI_MSI_DATA_32';
  regs.push(r(dataName, dataAt, l.maskable ? 4 : 2, [f(dataName, [15, 0], 'RW')]));
  if (l.maskable) {
    const maskName = l.is64 ? 'PCI_MSI_MASK_64' : 'PCI_MSI_MASK_32';
    const pendingName = l.is64 ? 'PCI_MSI_PENDING_64' : 'PCI_MSI_PENDING_32';
    const top = l.vectors - 1;
    regs.push(r(maskName, l.is64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32, 4, [f(maskName, [top, 0], 'RW', { doc: `mask bits of the ${l.vectors} implemented vector(s)` })]));
    regs.push(r(pendingName, l.is64 ? PCI_MSI_PENDING_64 : PCI_MSI_PENDING_32, 4, [f(pendingName, [top, 0], 'RO', { volatile: true })]));
  }
  return regs;
}

export const msi: CapabilityDef = {
  id: PCI_CAP_ID_MSI,
  extended: false,
  key: 'msi',
  linuxId: 'PCI_CAP_ID_MSI',
  name: 'MSI',
  spec: 'PCI r3.0 6.8.1; PCIe r6.0 7.7.1',
  // MSI has no version field.
  version: () => 0,
  size: (c) => msiLayout(c.readw(PCI_MSI_FLAGS)).size,
  registers: msiRegisters,
};

/**
 * SATA Data/Index Configuration (PCI_CAP_ID_SATA, 0x12) of an AHCI HBA.
 * Spec: Serial ATA AHCI r1.3.1, "Serial ATA Capability" (names: pci_regs.h PCI_SATA_*).
 *
 *   +0x00 ID | NEXT | revision (u16: major [7:4], minor [3:0])          RO
 *   +0x04 PCI_SATA_REGS (u32): BAR location [3:0] (PCI_SATA_REGS_MASK; 0xf = PCI_SATA_REGS_INLINE,
 *         the Index/Data pair follows in config space), BAR offset [23:4] (dwords)   RO
 *   +0x08 index, +0x0c data (inline only)                               RW
 *
 * Size: PCI_SATA_SIZEOF_LONG (16) when inline, else PCI_SATA_SIZEOF_SHORT (8): the rule of VFIO's
 * vfio_cap_len. Save/restore: Linux saves none of it. Reset: the index is not sticky.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, whole, type RegisterDef } from '../registers.js';
import { capHeader } from './header-fields.js';

export const PCI_CAP_ID_SATA = 0x12;
export const PCI_SATA_REGS = 4;
export const PCI_SATA_REGS_INLINE = 0xf;

const inline = (c: CapReader) => (c.readb(PCI_SATA_REGS) & 0xf) === PCI_SATA_REGS_INLINE;

export const sata: CapabilityDef = {
  id: PCI_CAP_ID_SATA,
  extended: false,
  key: 'sata',
  linuxId: 'PCI_CAP_ID_SATA',
  name: 'SATA HBA',
  spec: 'AHCI r1.3.1, Serial ATA Capability',
  version: (c) => c.readb(2) >> 4,
  size: (c) => (inline(c) ? 16 : 8),
  registers: (c) => {
    const regs: RegisterDef[] = [
      ...capHeader(),
      r('PCI_SATA_REVISION', 2, 2, [f('PCI_SATA_REVISION_MINOR', [3, 0], 'RO'), f('PCI_SATA_REVISION_MAJOR', [7, 4], 'RO')]),
      r('PCI_SATA_REGS', PCI_SATA_REGS, 4, [f('PCI_SATA_REGS_MASK', [3, 0], 'RO'), f('PCI_SATA_REGS_OFFSET', [23, 4], 'RO')]),
    ];
    if (inline(c)) regs.push(whole('PCI_SATA_INDEX', 8, 4, 'RW'), whole('PCI_SATA_DATA', 12, 4, 'RW'));
    return regs;
  },
};

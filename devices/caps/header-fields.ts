/** Register rows shared by every capability: the standard and the extended capability headers. */
import type { CapReader } from '../capability.js';
import { f, r, type RegisterDef } from '../registers.js';
import { PCI_CAP_LIST_ID, PCI_CAP_LIST_NEXT } from '../pci-regs.js';

/** Standard capability header (PCI r3.0 6.7): ID byte then next pointer, both read-only. */
export function capHeader(): RegisterDef[] {
  return [
    r('PCI_CAP_LIST_ID', PCI_CAP_LIST_ID, 1, [f('PCI_CAP_LIST_ID', [7, 0], 'RO')]),
    r('PCI_CAP_LIST_NEXT', PCI_CAP_LIST_NEXT, 1, [f('PCI_CAP_LIST_NEXT', [7, 0], 'RO')]),
  ];
}

/** Extended capability header (PCIe r6.0 7.6.3): ID [15:0], version [19:16], next [31:20]. */
export function extCapHeader(): RegisterDef[] {
  return [
    r('PCI_EXT_CAP_HEADER', 0x00, 4, [
      f('PCI_EXT_CAP_ID', [15, 0], 'RO'),
      f('PCI_EXT_CAP_VER', [19, 16], 'RO'),
      f('PCI_EXT_CAP_NEXT', [31, 20], 'RO'),
    ]),
  ];
}

/** PCI_EXT_CAP_VER: the extended header's version field (bits 19:16). */
export const extCapVersion = (c: CapReader): number => (c.readl(0) >>> 16) & 0xf;

/**
 * MSI-X capability (PCI_CAP_ID_MSIX, 0x11).
 * Spec: PCI Local Bus r3.0 6.8.2; PCIe Base r6.0 7.7.2.
 *
 *   +0x00  ID | NEXT | PCI_MSIX_FLAGS (u16: ENABLE 15, MASKALL 14, QSIZE 10:0 = table size - 1)
 *   +0x04  PCI_MSIX_TABLE  (OFFSET 31:3 | BIR 2:0)
 *   +0x08  PCI_MSIX_PBA    (OFFSET 31:3 | BIR 2:0)
 *   Size 12 (PCI_CAP_MSIX_SIZEOF). The table and the Pending Bit Array live in BAR memory:
 *   devices/msix-table.ts models them.
 *
 * Save/restore: Linux does not save MSI-X in pci_save_state; pci_restore_msi_state rewrites
 * the control word and every table entry from msi_desc (linux-pci.md section 4). Reset: FLR and
 * conventional reset clear ENABLE and MASKALL (QEMU msix_reset also masks every vector and zeroes
 * the table and PBA). Writes to ENABLE/MASKALL are a hook point (interrupt delivery changes).
 */
import type { CapabilityDef } from '../capability.js';
import { f, r } from '../registers.js';
import { capHeader } from './header-fields.js';
import { PCI_CAP_ID_MSIX, PCI_CAP_MSIX_SIZEOF, PCI_MSIX_FLAGS, PCI_MSIX_PBA, PCI_MSIX_TABLE } from '../pci-regs.js';

export const msix: CapabilityDef = {
  id: PCI_CAP_ID_MSIX,
  extended: false,
  key: 'msix',
  linuxId: 'PCI_CAP_ID_MSIX',
  name: 'MSI-X',
  spec: 'PCI r3.0 6.8.2; PCIe r6.0 7.7.2',
  // MSI-X has no version field.
  version: () => 0,
  size: () => PCI_CAP_MSIX_SIZEOF,
  registers: () => [
    ...capHeader(),
    r('PCI_MSIX_FLAGS', PCI_MSIX_FLAGS, 2, [
      f('PCI_MSIX_FLAGS_QSIZE', [10, 0], 'RO', { doc: 'Table Size: entries - 1' }),
      f('PCI_MSIX_FLAGS_MASKALL', 14, 'RW'),
      f('PCI_MSIX_FLAGS_ENABLE', 15, 'RW'),
    ]),
    r('PCI_MSIX_TABLE', PCI_MSIX_TABLE, 4, [
      f('PCI_MSIX_TABLE_BIR', [2, 0], 'RO'),
      f('PCI_MSIX_TABLE_OFFSET', [31, 3], 'RO', { doc: 'offset into the BAR, 8-byte aligned' }),
    ]),
    r('PCI_MSIX_PBA', PCI_MSIX_PBA, 4, [
      f('PCI_MSIX_PBA_BIR', [2, 0], 'RO'),
      f('PCI_MSIX_PBA_OFFSET', [31, 3], 'RO'),
    ]),
  ],
};

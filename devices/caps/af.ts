/**
 * PCI Advanced Features capability (PCI_CAP_ID_AF, 0x13).
 * Spec: PCI Advanced Capabilities ECN (2006) to PCI Local Bus r3.0; PCIe r6.0 7.9 (conventional
 * PCI functions only).
 *
 *   +0x00 ID | NEXT | PCI_AF_LENGTH (u8, = 6) | PCI_AF_CAP (u8: TP bit 0, FLR bit 1)
 *   +0x04 PCI_AF_CTRL (u8: FLR bit 0) | PCI_AF_STATUS (u8: TP bit 0)
 *   Size 6 (PCI_CAP_AF_SIZEOF).
 *
 * Linux uses it for the "af_flr" reset method (pci_af_flr: needs TP and FLR in AF_CAP, waits for
 * AF_STATUS TP to clear, writes AF_CTRL FLR; linux-pci.md section 6.1). Writing PCI_AF_CTRL_FLR
 * starts the FLR (hook point); the bit always reads 0. AF_STATUS TP is set by the function while
 * transactions are pending. Nothing here is saved or sticky.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r } from '../registers.js';
import { capHeader } from './header-fields.js';
import { PCI_AF_CAP, PCI_AF_CTRL, PCI_AF_LENGTH, PCI_AF_STATUS, PCI_CAP_AF_SIZEOF, PCI_CAP_ID_AF } from '../pci-regs.js';

export const af: CapabilityDef = {
  id: PCI_CAP_ID_AF,
  extended: false,
  key: 'af',
  linuxId: 'PCI_CAP_ID_AF',
  name: 'PCI Advanced Features',
  spec: 'PCI Advanced Capabilities ECN to PCI r3.0',
  version: () => 0,
  size: () => PCI_CAP_AF_SIZEOF,
  registers: () => [
    ...capHeader(),
    r('PCI_AF_LENGTH', PCI_AF_LENGTH, 1, [f('PCI_AF_LENGTH', [7, 0], 'RO')]),
    r('PCI_AF_CAP', PCI_AF_CAP, 1, [f('PCI_AF_CAP_TP', 0, 'RO'), f('PCI_AF_CAP_FLR', 1, 'RO')]),
    r('PCI_AF_CTRL', PCI_AF_CTRL, 1, [f('PCI_AF_CTRL_FLR', 0, 'RW', { selfClearing: true, doc: 'Initiate FLR: always reads 0' })]),
    r('PCI_AF_STATUS', PCI_AF_STATUS, 1, [f('PCI_AF_STATUS_TP', 0, 'RO', { volatile: true, doc: 'Transactions Pending' })]),
  ],
};

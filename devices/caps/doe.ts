/**
 * Data Object Exchange (PCI_EXT_CAP_ID_DOE, 0x002e).
 * Spec: PCIe Base r6.0 7.9.24 "Data Object Exchange Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_DOE_CAP     INT_SUP[0] INT_MSG_NUM[11:1]                          RO
 *   +0x08  PCI_DOE_CTRL    ABORT[0] (reads 0) INT_EN[1] GO[31] (reads 0)         RW
 *   +0x0c  PCI_DOE_STATUS  BUSY[0] RO, INT_STATUS[1] RW1C, ERROR[2] RO,
 *                          DATA_OBJECT_READY[31] RO                             (hardware-driven)
 *   +0x10  PCI_DOE_WRITE   Write Data Mailbox: each write queues a dword          RW
 *   +0x14  PCI_DOE_READ    Read Data Mailbox: reads the current dword; a write
 *                          advances to the next one (a side effect for a hook)   RO here
 *
 * Size: PCI_DOE_CAP_SIZEOF (0x18).
 * Save/restore: no save buffer (linux-pci.md 2.2). Linux drives the mailbox from drivers/pci/doe.c
 * (CXL, SPDM); nothing of it survives pci_restore_state, and an exchange in flight across a reset
 * or kexec is lost.
 * Reset: not sticky; FLR aborts any exchange and clears the control and status state.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r, whole } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import {
  PCI_DOE_CAP, PCI_DOE_CAP_SIZEOF, PCI_DOE_CTRL, PCI_DOE_READ, PCI_DOE_STATUS, PCI_DOE_WRITE,
  PCI_EXT_CAP_ID_DOE,
} from '../pci-regs.js';

export const doe: CapabilityDef = {
  id: PCI_EXT_CAP_ID_DOE,
  extended: true,
  key: 'doe',
  linuxId: 'PCI_EXT_CAP_ID_DOE',
  name: 'Data Object Exchange',
  spec: 'PCIe r6.0 7.9.24',
  version: (c) => (c.readl(0) >>> 16) & 0xf,
  size: () => PCI_DOE_CAP_SIZEOF,
  registers: () => [
    ...extCapHeader(),
    r('PCI_DOE_CAP', PCI_DOE_CAP, 4, [
      f('PCI_DOE_CAP_INT_SUP', 0, 'RO'),
      f('PCI_DOE_CAP_INT_MSG_NUM', [11, 1], 'RO'),
    ]),
    r('PCI_DOE_CTRL', PCI_DOE_CTRL, 4, [
      f('PCI_DOE_CTRL_ABORT', 0, 'RW', { selfClearing: true }),
      f('PCI_DOE_CTRL_INT_EN', 1, 'RW'),
      f('PCI_DOE_CTRL_GO', 31, 'RW', { selfClearing: true }),
    ]),
    r('PCI_DOE_STATUS', PCI_DOE_STATUS, 4, [
      f('PCI_DOE_STATUS_BUSY', 0, 'RO', { volatile: true }),
      f('PCI_DOE_STATUS_INT_STATUS', 1, 'RW1C'),
      f('PCI_DOE_STATUS_ERROR', 2, 'RO', { volatile: true }),
      f('PCI_DOE_STATUS_DATA_OBJECT_READY', 31, 'RO', { volatile: true }),
    ]),
    whole('PCI_DOE_WRITE', PCI_DOE_WRITE, 4, 'RW'),
    whole('PCI_DOE_READ', PCI_DOE_READ, 4, 'RO', { volatile: true }),
  ],
};

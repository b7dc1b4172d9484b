/**
 * PCI-X capability (PCI_CAP_ID_PCIX, 0x07), function (type 0 header) and bridge (type 1) layouts.
 * Spec: PCI-X Protocol Addendum r2.0a 7.2 (function) and 8.6 (bridge).
 *
 *   function:                               bridge:
 *   +0x00 ID | NEXT | PCI_X_CMD (u16)       +0x00 ID | NEXT | PCI_X_BRIDGE_SSTATUS (u16)
 *   +0x04 PCI_X_STATUS                      +0x04 PCI_X_BRIDGE_STATUS
 *   +0x08 PCI_X_ECC_CSR        (version>=1) +0x08 upstream split transaction control
 *   +0x0c/0x10/0x14 ECC first/second address, attribute (version>=1)
 *                                           +0x0c downstream split transaction control
 *                                           +0x10..0x1f ECC registers (version>=1)
 *   Function size 8 (PCI_CAP_PCIX_SIZEOF_V0) or 24 (PCI_CAP_PCIX_SIZEOF_V1/V2); bridge 16 or 32.
 *   Version: PCI_X_CMD_VERSION (function) / PCI_X_SSTATUS_VERS (bridge), bits 13:12.
 *
 * The ECC registers are modelled read-only: Linux neither saves nor restores them.
 * Save/restore: pci_save_pcix_state saves the u16 at +2 (PCI_X_CMD), pci_restore_pcix_state
 * writes it back (linux-pci.md section 2.2) - on a bridge that word is the secondary status.
 * Reset: the command bits return to 0 (512-byte reads, one outstanding split transaction);
 * nothing is sticky. PCI_X_STATUS bus/devfn are captured by the function from config writes.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, whole, type RegisterDef } from '../registers.js';
import { capHeader } from './header-fields.js';
import {
  PCI_CAP_ID_PCIX, PCI_CAP_PCIX_SIZEOF_V0, PCI_X_BRIDGE_SSTATUS, PCI_X_BRIDGE_STATUS, PCI_X_CMD,
  PCI_X_STATUS,
} from '../pci-regs.js';

const isBridge = (c: CapReader) => c.headerType === 1;
const pcixVersion = (c: CapReader) => (c.readw(2) >> 12) & 3;

function eccRegisters(at: number): RegisterDef[] {
  return [
    whole('PCI_X_ECC_CSR', at, 4, 'RO', { volatile: true }),
    whole('PCI_X_ECC_FIRST_ADDR', at + 4, 4, 'RO', { volatile: true }),
    whole('PCI_X_ECC_SECOND_ADDR', at + 8, 4, 'RO', { volatile: true }),
    whole('PCI_X_ECC_ATTR', at + 12, 4, 'RO', { volatile: true }),
  ];
}

function functionRegisters(c: CapReader): RegisterDef[] {
  return [
    ...capHeader(),
    r('PCI_X_CMD', PCI_X_CMD, 2, [
      f('PCI_X_CMD_DPERR_E', 0, 'RW'),
      f('PCI_X_CMD_ERO', 1, 'RW'),
      f('PCI_X_CMD_MAX_READ', [3, 2], 'RW', { doc: '512 << n bytes' }),
      f('PCI_X_CMD_MAX_SPLIT', [6, 4], 'RW'),
      f('PCI_X_CMD_VERSION', [13, 12], 'RO'),
    ]),
    r('PCI_X_STATUS', PCI_X_STATUS, 4, [
      f('PCI_X_STATUS_DEVFN', [7, 0], 'RO', { volatile: true, doc: 'captured from configuration writes' }),
      f('PCI_X_STATUS_BUS', [15, 8], 'RO', { volatile: true }),
      f('PCI_X_STATUS_64BIT', 16, 'RO'),
      f('PCI_X_STATUS_133MHZ', 17, 'RO'),
      f('PCI_X_STATUS_SPL_DISC', 18, 'RW1C'),
      f('PCI_X_STATUS_UNX_SPL', 19, 'RW1C'),
      f('PCI_X_STATUS_COMPLEX', 20, 'RO'),
      f('PCI_X_STATUS_MAX_READ', [22, 21], 'RO'),
      f('PCI_X_STATUS_MAX_SPLIT', [25, 23], 'RO'),
      f('PCI_X_STATUS_MAX_CUM', [28, 26], 'RO'),
      f('PCI_X_STATUS_SPL_ERR', 29, 'RW1C'),
      f('PCI_X_STATUS_266MHZ', 30, 'RO'),
      f('PCI_X_STATUS_533MHZ', 31, 'RO'),
    ]),
    ...(pcixVersion(c) >= 1 ? eccRegisters(0x08) : []),
  ];
}

function splitControl(name: string, at: number): RegisterDef {
  return r(name, at, 4, [
    f(`${name}_CAPACITY`, [15, 0], 'RO', { doc: 'Split Transaction Capacity' }),
    f(`${name}_LIMIT`, [31, 16], 'RW', { doc: 'Split Transaction Commitment Limit' }),
  ]);
}

function bridgeRegisters(c: CapReader): RegisterDef[] {
  return [
    ...capHeader(),
    r('PCI_X_BRIDGE_SSTATUS', PCI_X_BRIDGE_SSTATUS, 2, [
      f('PCI_X_SSTATUS_64BIT', 0, 'RO'),
      f('PCI_X_SSTATUS_133MHZ', 1, 'RO'),
      f('PCI_X_SSTATUS_SPL_DISC', 2, 'RW1C', { doc: 'Split Completion Discarded (spec name)' }),
      f('PCI_X_SSTATUS_UNX_SPL', 3, 'RW1C', { doc: 'Unexpected Split Completion (spec name)' }),
      f('PCI_X_SSTATUS_SPL_OVR', 4, 'RW1C', { doc: 'Split Completion Overrun (spec name)' }),
      f('PCI_X_SSTATUS_SPL_DELAY', 5, 'RO', { volatile: true, doc: 'Split Request Delayed (spec name)' }),
      f('PCI_X_SSTATUS_FREQ', [9, 6], 'RO', { volatile: true }),
      f('PCI_X_SSTATUS_VERS', [13, 12], 'RO'),
      f('PCI_X_SSTATUS_266MHZ', 14, 'RO'),
      f('PCI_X_SSTATUS_533MHZ', 15, 'RO'),
    ]),
    r('PCI_X_BRIDGE_STATUS', PCI_X_BRIDGE_STATUS, 4, [
      f('PCI_X_BSTATUS_DEVFN', [7, 0], 'RO', { volatile: true }),
      f('PCI_X_BSTATUS_BUS', [15, 8], 'RO', { volatile: true }),
      f('PCI_X_BSTATUS_64BIT', 16, 'RO'),
      f('PCI_X_BSTATUS_133MHZ', 17, 'RO'),
      f('PCI_X_BSTATUS_SPL_DISC', 18, 'RW1C'),
      f('PCI_X_BSTATUS_UNX_SPL', 19, 'RW1C'),
      f('PCI_X_BSTATUS_SPL_OVR', 20, 'RW1C'),
      f('PCI_X_BSTATUS_SPL_DELAY', 21, 'RO', { volatile: true }),
      f('PCI_X_BSTATUS_266MHZ', 30, 'RO'),
      f('PCI_X_BSTATUS_533MHZ', 31, 'RO'),
    ]),
    splitControl('PCI_X_BRIDGE_UP_SPLIT', 0x08),
    splitControl('PCI_X_BRIDGE_DOWN_SPLIT', 0x0c),
    ...(pcixVersion(c) >= 1 ? eccRegisters(0x10) : []),
  ];
}

export const pcix: CapabilityDef = {
  id: PCI_CAP_ID_PCIX,
  extended: false,
  key: 'pcix',
  linuxId: 'PCI_CAP_ID_PCIX',
  name: 'PCI-X',
  spec: 'PCI-X 2.0a 7.2 (function), 8.6 (bridge)',
  version: pcixVersion,
  size: (c) => (isBridge(c) ? 16 : PCI_CAP_PCIX_SIZEOF_V0) + (pcixVersion(c) >= 1 ? 16 : 0),
  registers: (c) => (isBridge(c) ? bridgeRegisters(c) : functionRegisters(c)),
};

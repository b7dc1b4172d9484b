/**
 * Latency Tolerance Reporting (PCI_EXT_CAP_ID_LTR, 0x0018).
 * Spec: PCIe Base r6.0 7.8.2 "LTR Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_LTR_MAX_SNOOP_LAT (u16)    VALUE[9:0] SCALE[12:10]   RW
 *   +0x06  PCI_LTR_MAX_NOSNOOP_LAT (u16)  VALUE[9:0] SCALE[12:10]   RW
 *
 * Size: PCI_EXT_CAP_LTR_SIZEOF (8).
 * Save/restore (linux-pci.md 2.2): a 4-byte buffer holding one dword read at +4 (both registers;
 * "Some broken devices only support dword access"), pci_save_ltr_state / pci_restore_ltr_state
 * (pci.c in 6.1, pcie/aspm.c from 6.12).
 * Reset: not sticky; FLR and conventional reset clear both registers.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import { PCI_EXT_CAP_ID_LTR, PCI_LTR_MAX_NOSNOOP_LAT, PCI_LTR_MAX_SNOOP_LAT } from '../pci-regs.js';

const latency = (name: string, offset: number) => r(name, offset, 2, [
  f('PCI_LTR_VALUE_MASK', [9, 0], 'RW'),
  f('PCI_LTR_SCALE_MASK', [12, 10], 'RW'),
]);

export const ltr: CapabilityDef = {
  id: PCI_EXT_CAP_ID_LTR,
  extended: true,
  key: 'ltr',
  linuxId: 'PCI_EXT_CAP_ID_LTR',
  name: 'Latency Tolerance Reporting',
  spec: 'PCIe r6.0 7.8.2',
  version: (c) => (c.readl(0) >>> 16) & 0xf,
  size: () => 8,
  registers: () => [
    ...extCapHeader(),
    latency('PCI_LTR_MAX_SNOOP_LAT', PCI_LTR_MAX_SNOOP_LAT),
    latency('PCI_LTR_MAX_NOSNOOP_LAT', PCI_LTR_MAX_NOSNOOP_LAT),
  ],
};

/**
 * Vital Product Data (PCI_CAP_ID_VPD, 0x03).
 * Spec: PCI Local Bus r3.0 6.4 and appendix I; PCIe r6.0 7.9.18 (VPD Capability).
 *
 *   +0x00 ID | NEXT | PCI_VPD_ADDR (u16): address [14:0] (PCI_VPD_ADDR_MASK), F [15] (PCI_VPD_ADDR_F)
 *   +0x04 PCI_VPD_DATA (u32)
 *
 * Software writes an address with F=0 to read (the function sets F=1 when DATA holds the dword),
 * or DATA then the address with F=1 to write (the function clears F when done); both registers
 * are RW here and the VPD storage behind them is not modelled.
 * Save/restore: Linux saves nothing (drivers/pci/vpd.c accesses VPD on demand only).
 * Reset: not sticky.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r, whole } from '../registers.js';
import { capHeader } from './header-fields.js';

export const PCI_CAP_ID_VPD = 0x03;
export const PCI_VPD_ADDR = 2;
export const PCI_VPD_DATA = 4;

export const vpd: CapabilityDef = {
  id: PCI_CAP_ID_VPD,
  extended: false,
  key: 'vpd',
  linuxId: 'PCI_CAP_ID_VPD',
  name: 'Vital Product Data',
  spec: 'PCI r3.0 6.4; PCIe r6.0 7.9.18',
  version: () => 0,
  size: () => 8,
  registers: () => [
    ...capHeader(),
    r('PCI_VPD_ADDR', PCI_VPD_ADDR, 2, [f('PCI_VPD_ADDR_MASK', [14, 0], 'RW'), f('PCI_VPD_ADDR_F', 15, 'RW')]),
    whole('PCI_VPD_DATA', PCI_VPD_DATA, 4, 'RW'),
  ],
};

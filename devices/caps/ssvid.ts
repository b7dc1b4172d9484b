/**
 * Bridge Subsystem Vendor ID capability (PCI_CAP_ID_SSVID, 0x0d).
 * Spec: PCI-to-PCI Bridge Architecture r1.2 (Subsystem Vendor ID capability); PCIe r6.0 7.9
 * (Subsystem ID and Subsystem Vendor ID capability).
 *
 *   +0x00 ID | NEXT | reserved (u16)
 *   +0x04 PCI_SSVID_VENDOR_ID (u16) | PCI_SSVID_DEVICE_ID (u16)
 *
 * A bridge has no subsystem IDs in its header, so they live here. HwInit: firmware may load them,
 * software cannot write them. Not saved by Linux; untouched by FLR and hot reset. QEMU 7.2 root
 * ports, ioh3420 and xio3130 carry it (hw/pci/pci_bridge.c pci_bridge_ssvid_init, qemu.md 1).
 */
import type { CapabilityDef } from '../capability.js';
import { f, r } from '../registers.js';
import { capHeader } from './header-fields.js';
import { PCI_CAP_ID_SSVID, PCI_SSVID_DEVICE_ID, PCI_SSVID_VENDOR_ID } from '../pci-regs.js';

export const ssvid: CapabilityDef = {
  id: PCI_CAP_ID_SSVID,
  extended: false,
  key: 'ssvid',
  linuxId: 'PCI_CAP_ID_SSVID',
  name: 'Subsystem',
  spec: 'PCI-PCI Bridge r1.2; PCIe r6.0 7.9',
  version: () => 0,
  size: () => 8,
  registers: () => [
    ...capHeader(),
    r('PCI_SSVID_RESERVED', 0x02, 2, [], 'reserved'),
    r('PCI_SSVID_VENDOR_ID', PCI_SSVID_VENDOR_ID, 2, [f('PCI_SSVID_VENDOR_ID', [15, 0], 'HwInit')]),
    r('PCI_SSVID_DEVICE_ID', PCI_SSVID_DEVICE_ID, 2, [f('PCI_SSVID_DEVICE_ID', [15, 0], 'HwInit')]),
  ],
};

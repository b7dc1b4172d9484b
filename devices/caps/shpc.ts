/**
 * PCI Standard Hot-Plug Controller (PCI_CAP_ID_SHPC, 0x0c).
 * Spec: PCI Standard Hot-Plug Controller and Subsystem r1.0, "SHPC Capability".
 *
 *   +0x00 ID | NEXT | DWORD_SELECT (u8) | pending: interrupt pending [0]
 *   +0x04 DWORD_DATA (u32): the SHPC register DWORD_SELECT names
 *
 * The capability is a window onto the controller's own register set, which lusim does not model:
 * DWORD_DATA is RW bytes here. Names follow drivers/pci/hotplug/shpchp_hpc.c (DWORD_SELECT 0x2,
 * DWORD_DATA 0x4; shpc_indirect_read).
 * Size: 8. Save/restore: Linux saves none of it (shpchp drives the controller on demand; VFIO's
 * pci_cap_length: "hotswap - not yet"). Reset: the controller's registers are not modelled.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r, whole } from '../registers.js';
import { capHeader } from './header-fields.js';

export const PCI_CAP_ID_SHPC = 0x0c;
export const SHPC_DWORD_SELECT = 2;
export const SHPC_DWORD_DATA = 4;

export const shpc: CapabilityDef = {
  id: PCI_CAP_ID_SHPC,
  extended: false,
  key: 'shpc',
  linuxId: 'PCI_CAP_ID_SHPC',
  name: 'Standard Hot-Plug Controller',
  spec: 'SHPC r1.0, SHPC Capability',
  version: () => 0,
  size: () => 8,
  registers: () => [
    ...capHeader(),
    whole('DWORD_SELECT', SHPC_DWORD_SELECT, 1, 'RW'),
    r('SHPC_PENDING', 3, 1, [f('SHPC_INT_PENDING', 0, 'RO', { volatile: true })]),
    whole('DWORD_DATA', SHPC_DWORD_DATA, 4, 'RW'),
  ],
};

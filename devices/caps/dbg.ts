/**
 * Debug port (PCI_CAP_ID_DBG, 0x0a): where an EHCI controller's debug port registers live.
 * Spec: EHCI r1.0, appendix C "Debug Port".
 *
 *   +0x00 ID | NEXT | offset [12:0] | BAR [15:13]   (u16 at +2, both RO)
 *
 * lspci prints it as "Debug port: BAR=%d offset=%04x" (ls-caps.c cap_debug_port).
 * Size: 4. Save/restore: Linux saves none of it; the early debug console (ehci-dbgp) only reads it
 * (VFIO's pci_cap_length: "debug - don't care"). Reset: read-only constant.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r } from '../registers.js';
import { capHeader } from './header-fields.js';

export const PCI_CAP_ID_DBG = 0x0a;

export const dbg: CapabilityDef = {
  id: PCI_CAP_ID_DBG,
  extended: false,
  key: 'dbg',
  linuxId: 'PCI_CAP_ID_DBG',
  name: 'Debug port',
  spec: 'EHCI r1.0, appendix C',
  version: () => 0,
  size: () => 4,
  registers: () => [
    ...capHeader(),
    r('PCI_DBG_PORT', 2, 2, [f('PCI_DBG_PORT_OFFSET', [12, 0], 'RO'), f('PCI_DBG_PORT_BAR', [15, 13], 'RO')]),
  ],
};

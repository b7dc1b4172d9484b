/**
 * Alternative Routing-ID Interpretation (PCI_EXT_CAP_ID_ARI, 0x000e).
 * Spec: PCIe Base r6.0 7.8.7 "ARI Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_ARI_CAP (u16)   MFVC[0] ACS[1] NFN[15:8]        RO
 *   +0x06  PCI_ARI_CTRL (u16)  MFVC[0] ACS[1] FG[6:4]          RW
 *
 * Size: PCI_EXT_CAP_ARI_SIZEOF (8).
 * Save/restore: no save buffer (linux-pci.md 2.2). ARI Forwarding Enable lives in the upstream
 * port's DEVCTL2 (saved with the PCIe capability); Linux only reads PCI_ARI_CAP_NFN to walk
 * functions (pci.c pci_ari_enabled / probe.c next_ari_fn).
 * Reset: the control bits are not sticky; FLR and conventional reset clear them.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import { PCI_ARI_CAP, PCI_ARI_CTRL, PCI_EXT_CAP_ID_ARI } from '../pci-regs.js';

export const ari: CapabilityDef = {
  id: PCI_EXT_CAP_ID_ARI,
  extended: true,
  key: 'ari',
  linuxId: 'PCI_EXT_CAP_ID_ARI',
  name: 'Alternative Routing-ID Interpretation',
  spec: 'PCIe r6.0 7.8.7',
  version: (c) => (c.readl(0) >>> 16) & 0xf,
  size: () => 8,
  registers: () => [
    ...extCapHeader(),
    r('PCI_ARI_CAP', PCI_ARI_CAP, 2, [
      f('PCI_ARI_CAP_MFVC', 0, 'RO'),
      f('PCI_ARI_CAP_ACS', 1, 'RO'),
      f('PCI_ARI_CAP_NFN', [15, 8], 'RO', { doc: 'Next Function Number' }),
    ]),
    r('PCI_ARI_CTRL', PCI_ARI_CTRL, 2, [
      f('PCI_ARI_CTRL_MFVC', 0, 'RW'),
      f('PCI_ARI_CTRL_ACS', 1, 'RW'),
      f('PCI_ARI_CTRL_FG', [6, 4], 'RW', { doc: 'Function Group' }),
    ]),
  ],
};

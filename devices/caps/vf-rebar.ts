/**
 * VF Resizable BAR (PCI_EXT_CAP_ID_VF_REBAR, 0x0024): the Resizable BAR layout applied to an
 * SR-IOV PF's VF BARs.
 * Spec: PCIe Base r6.0, "VF Resizable BAR Extended Capability" (the layout of 7.8.6).
 *
 *   +0x00        PCI_EXT_CAP_HEADER
 *   +0x04 + 8i   PCI_VF_REBAR_CAP[i]   supported sizes [31:4]                        RO
 *   +0x08 + 8i   PCI_VF_REBAR_CTRL[i]  BAR_IDX [2:0], NBAR [7:5] (entry 0), BAR_SIZE [12:8] RW
 *
 * pci_regs.h defines PCI_VF_REBAR_* as the PCI_REBAR_* offsets and masks; the size and entry count
 * follow rebar.ts.
 * Save/restore: no save buffer. iov.c sriov_restore_vf_rebar_state (called by pci_restore_iov_state
 * before sriov_restore_state; in v6.19 and 7.1.3, not in v6.12) writes each BAR_SIZE from the VF
 * BAR size sriov_init found (iov->barsz), as pci_restore_rebar_state does for the PF's BARs
 * (sim/linux/restore.ts sriovRestoreVfRebarState).
 * Reset: not sticky.
 */
import type { CapabilityDef } from '../capability.js';
import { extCapVersion } from './header-fields.js';
import { rebarEntries, resizableBarRegisters } from './rebar.js';
import { PCI_EXT_CAP_ID_VF_REBAR } from '../pci-regs.js';

export const vfRebar: CapabilityDef = {
  id: PCI_EXT_CAP_ID_VF_REBAR,
  extended: true,
  key: 'vf-rebar',
  linuxId: 'PCI_EXT_CAP_ID_VF_REBAR',
  name: 'VF Resizable BAR',
  spec: 'PCIe r6.0 (VF Resizable BAR)',
  version: extCapVersion,
  size: (c) => 4 + 8 * rebarEntries(c),
  registers: (c) => resizableBarRegisters(c, 'PCI_VF_REBAR'),
};

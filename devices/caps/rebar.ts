/**
 * Resizable BAR (PCI_EXT_CAP_ID_REBAR, 0x0015).
 * Spec: PCIe Base r6.0 7.8.6 "Resizable BAR Extended Capability".
 *
 *   +0x00        PCI_EXT_CAP_HEADER
 *   +0x04 + 8i   PCI_REBAR_CAP[i]   supported sizes [31:4]                          RO
 *   +0x08 + 8i   PCI_REBAR_CTRL[i]  BAR_IDX[2:0] RO, NBAR[7:5] RO (entry 0 only), BAR_SIZE[12:8] RW
 *
 * Size: 4 + 8 * NBAR, NBAR from the first PCI_REBAR_CTRL (1..6). A value outside 1..6 is
 * malformed; the size is clamped to 1..6 entries so garbage never yields an absurd size.
 * BAR_SIZE uses pci_regs.h PCI_REBAR_CTRL_BAR_SIZE (0x1f00).
 * Save/restore: not saved; regenerated. pci.c pci_restore_rebar_state re-reads NBAR and, for each
 * entry, writes BAR_SIZE computed from the size of the kernel's resource for BAR_IDX
 * (pci_rebar_bytes_to_size), not from the old register.
 * Reset: not sticky; BAR_SIZE returns to its hardware default on FLR and conventional reset.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, type RegisterDef } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import { PCI_EXT_CAP_ID_REBAR, PCI_REBAR_CAP, PCI_REBAR_CTRL } from '../pci-regs.js';

export const PCI_REBAR_MAX_BARS = 6;

/** Number of resizable-BAR entries, clamped to 1..6. */
export function rebarEntries(c: CapReader): number {
  const nbar = (c.readl(PCI_REBAR_CTRL) >>> 5) & 7;
  return Math.min(Math.max(nbar, 1), PCI_REBAR_MAX_BARS);
}

/** The entries, named PCI_REBAR_* or (vf-rebar.ts) PCI_VF_REBAR_*: the same layout. */
export function resizableBarRegisters(c: CapReader, prefix: 'PCI_REBAR' | 'PCI_VF_REBAR'): RegisterDef[] {
  const regs: RegisterDef[] = [...extCapHeader()];
  for (let i = 0; i < rebarEntries(c); i++) {
    regs.push(
      r(`${prefix}_CAP[${i}]`, PCI_REBAR_CAP + 8 * i, 4, [f(`${prefix}_CAP_SIZES`, [31, 4], 'RO')]),
      r(`${prefix}_CTRL[${i}]`, PCI_REBAR_CTRL + 8 * i, 4, [
        f(`${prefix}_CTRL_BAR_IDX`, [2, 0], 'RO'),
        ...(i === 0 ? [f(`${prefix}_CTRL_NBAR_MASK`, [7, 5], 'RO')] : []),
        f(`${prefix}_CTRL_BAR_SIZE`, [12, 8], 'RW'),
      ]),
    );
  }
  return regs;
}

export const rebar: CapabilityDef = {
  id: PCI_EXT_CAP_ID_REBAR,
  extended: true,
  key: 'rebar',
  linuxId: 'PCI_EXT_CAP_ID_REBAR',
  name: 'Resizable BAR',
  spec: 'PCIe r6.0 7.8.6',
  version: (c) => (c.readl(0) >>> 16) & 0xf,
  size: (c) => 4 + 8 * rebarEntries(c),
  registers: (c) => resizableBarRegisters(c, 'PCI_REBAR'),
};

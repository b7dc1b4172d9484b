/**
 * The data[] layouts of the save buffers whose content is a fixed list of registers, as profile
 * data (linux-pci.md sections 2.2 and 5). pci_save_pcie_state / pci_restore_pcie_state and
 * pci_save_aer_state / pci_restore_aer_state walk these lists, and the allocation size is derived
 * from their length, exactly as the kernel's code and its sizes agree by construction. Making the
 * lists data is what lets a drift experiment (sim/linux/drift.ts) change kernel B's layout the way
 * an innocuous commit would.
 */
import {
  PCI_ACS_CTRL, PCI_ERR_CAP, PCI_ERR_COR_MASK, PCI_ERR_ROOT_COMMAND, PCI_ERR_UNCOR_MASK, PCI_ERR_UNCOR_SEVER,
  PCI_EXP_DEVCTL, PCI_EXP_DEVCTL2, PCI_EXP_DPC_CTL, PCI_EXP_LNKCTL, PCI_EXP_LNKCTL2, PCI_EXP_RTCTL,
  PCI_EXP_SLTCTL, PCI_EXP_SLTCTL2, PCI_L1SS_CTL1, PCI_L1SS_CTL2, PCI_LTR_MAX_SNOOP_LAT, PCI_PTM_CTRL,
  PCI_X_CMD, PCI_EXT_CAP_ID_MFVC, PCI_EXT_CAP_ID_VC, PCI_EXT_CAP_ID_VC9, PCI_EXT_CAP_ID_TPH, PCI_TPH_CAP, PCI_TPH_CAP_LOC_MASK,
  PCI_TPH_LOC_CAP, PCI_TPH_CAP_ST_MASK, PCI_TPH_CTRL, PCI_TPH_BASE_SIZEOF,
} from '../../devices/pci-regs.js';
import { vcBufferSlots } from './vc.js';

/** One data[] slot: the register (pci_regs.h name) at `offset` within its capability. */
export interface SavedSlot {
  readonly name: string;
  /** Offset within the capability; -1 for a register this function does not have (reads 0, writes skipped). */
  readonly offset: number;
  /**
   * Bytes the slot holds when it differs from its buffer's (EXP u16, ERR u32): a drift that widens
   * an EXP slot to a dword (pcie_capability_read_dword: the control register and the status
   * register after it) or narrows an ERR slot to a word (pci_read_config_word: its low half).
   */
  readonly width?: 2 | 4;
}

export interface SavedLayouts {
  /** EXP buffer, u16 slots: pci_save_pcie_state (PCI_EXP_SAVE_REGS = 7). */
  readonly exp: readonly SavedSlot[];
  /** ERR buffer, u32 slots: pci_save_aer_state. */
  readonly aer: readonly SavedSlot[];
  /** ERR slots added when pcie_cap_has_rtctl (Root Port, RCEC). */
  readonly aerRoot: readonly SavedSlot[];
}

export const LINUX_LAYOUTS: SavedLayouts = {
  exp: [
    { name: 'PCI_EXP_DEVCTL', offset: PCI_EXP_DEVCTL },
    { name: 'PCI_EXP_LNKCTL', offset: PCI_EXP_LNKCTL },
    { name: 'PCI_EXP_SLTCTL', offset: PCI_EXP_SLTCTL },
    { name: 'PCI_EXP_RTCTL', offset: PCI_EXP_RTCTL },
    { name: 'PCI_EXP_DEVCTL2', offset: PCI_EXP_DEVCTL2 },
    { name: 'PCI_EXP_LNKCTL2', offset: PCI_EXP_LNKCTL2 },
    { name: 'PCI_EXP_SLTCTL2', offset: PCI_EXP_SLTCTL2 },
  ],
  aer: [
    { name: 'PCI_ERR_UNCOR_MASK', offset: PCI_ERR_UNCOR_MASK },
    { name: 'PCI_ERR_UNCOR_SEVER', offset: PCI_ERR_UNCOR_SEVER },
    { name: 'PCI_ERR_COR_MASK', offset: PCI_ERR_COR_MASK },
    { name: 'PCI_ERR_CAP', offset: PCI_ERR_CAP },
  ],
  aerRoot: [{ name: 'PCI_ERR_ROOT_COMMAND', offset: PCI_ERR_ROOT_COMMAND }],
};

/** A buffer's slots with their byte positions in data[] and widths, for provenance and drift reports. */
export interface PlacedSlot extends Omit<SavedSlot, 'width'> {
  readonly dataOffset: number;
  readonly width: 1 | 2 | 4;
}

/**
 * A buffer's slots in data[] order, each after the one before it (so a wider slot moves the rest).
 * Kept per slot list and width: a profile's layouts are fixed (a drift makes new lists), and the
 * save, the restore and the provenance place the same list many times per cycle.
 */
export function placeSlots(slots: readonly SavedSlot[], width: 2 | 4): readonly PlacedSlot[] {
  const kept = placed.get(slots);
  if (kept?.width === width) return kept.slots;
  let at = 0;
  // A literal, not a spread of the slot: spread copies made a V8 map per placed slot.
  const out = slots.map((s): PlacedSlot => {
    const w = s.width ?? width;
    const p = { name: s.name, offset: s.offset, dataOffset: at, width: w };
    at += w;
    return p;
  });
  placed.set(slots, { width, slots: out });
  return out;
}

const placed = new WeakMap<readonly SavedSlot[], { readonly width: 2 | 4; readonly slots: readonly PlacedSlot[] }>();

/** The AER buffer's slots (u32 each): the four status and mask registers, plus ROOT_COMMAND when pcie_cap_has_rtctl. */
export function aerSlots(layouts: SavedLayouts, hasRtctl: boolean): readonly PlacedSlot[] {
  if (!hasRtctl) return placeSlots(layouts.aer, 4);
  let withRoot = aerWithRoot.get(layouts);
  if (!withRoot) aerWithRoot.set(layouts, (withRoot = [...layouts.aer, ...layouts.aerRoot]));
  return placeSlots(withRoot, 4);
}

const aerWithRoot = new WeakMap<SavedLayouts, readonly SavedSlot[]>();

/** tph.c pcie_tph_get_st_table_size from PCI_TPH_CAP: ST entries count only when the table lives in the capability. */
export function tphStTableSize(tphCap: number): number {
  if ((tphCap & PCI_TPH_CAP_LOC_MASK) !== PCI_TPH_LOC_CAP) return 0;
  return ((tphCap & PCI_TPH_CAP_ST_MASK) >>> 16) + 1;
}

/** Reads a dword of the function's capability, relative to its start: what a table's layout depends on. */
export type CapReadl = (rel: number) => number;

/** The bytes a buffer of these slots needs (pci_add_cap_save_buffer's size). */
export const slotsSize = (slots: readonly SavedSlot[], width: 2 | 4): number => slots.reduce((n, s) => n + (s.width ?? width), 0);

/**
 * The register each byte range of a buffer holds, keyed by (capNr, extended) as the kernel's
 * _pci_find_saved_cap does. The VC/VC9/MFVC and TPH buffers are tables whose layout the hardware
 * decides: their slots need `table`, a reader of the function's capability (undefined without it).
 */
export function bufferSlots(layouts: SavedLayouts, capNr: number, extended: boolean, hasRtctl: boolean, table?: CapReadl): readonly PlacedSlot[] | undefined {
  if (!extended) {
    if (capNr === 0x10) return placeSlots(layouts.exp, 2);
    if (capNr === 0x07) return [{ name: 'PCI_X_CMD', offset: PCI_X_CMD, dataOffset: 0, width: 2 }];
    return undefined;
  }
  switch (capNr) {
    case 0x01: return aerSlots(layouts, hasRtctl);
    // vc.c pci_vc_do_save_buffer's walk (vc.ts vcBufferSlots).
    case PCI_EXT_CAP_ID_MFVC: case PCI_EXT_CAP_ID_VC: case PCI_EXT_CAP_ID_VC9: return table ? vcBufferSlots(table) : undefined;
    // tph.c pci_save_tph_state: u32 TPH_CTRL, then the ST table's u16 entries.
    case PCI_EXT_CAP_ID_TPH: return table ? tphSlots(tphStTableSize(table(PCI_TPH_CAP))) : undefined;
    // pci_save_ltr_state reads one dword at +4 covering MAX_SNOOP_LAT and MAX_NOSNOOP_LAT.
    case 0x18: return [{ name: 'PCI_LTR_MAX_SNOOP_LAT', offset: PCI_LTR_MAX_SNOOP_LAT, dataOffset: 0, width: 4 }];
    // pcie/aspm.c: data[] is { CTL2, CTL1 }: CTL2 first.
    case 0x1e: return [{ name: 'PCI_L1SS_CTL2', offset: PCI_L1SS_CTL2, dataOffset: 0, width: 4 }, { name: 'PCI_L1SS_CTL1', offset: PCI_L1SS_CTL1, dataOffset: 4, width: 4 }];
    case 0x1f: return [{ name: 'PCI_PTM_CTRL', offset: PCI_PTM_CTRL, dataOffset: 0, width: 4 }];
    // lu-pci "Save and restore the ACS Control register": one u16 (inferred, profile.ts LU_PCI_BASE).
    case 0x0d: return [{ name: 'PCI_ACS_CTRL', offset: PCI_ACS_CTRL, dataOffset: 0, width: 2 }];
    case 0x1d: return [{ name: 'PCI_EXP_DPC_CTL', offset: PCI_EXP_DPC_CTL, dataOffset: 0, width: 2 }];
    default: return undefined;
  }
}

function tphSlots(entries: number): PlacedSlot[] {
  return [
    { name: 'PCI_TPH_CTRL', offset: PCI_TPH_CTRL, dataOffset: 0, width: 4 },
    ...Array.from({ length: entries }, (_, i): PlacedSlot => ({ name: `PCI_TPH_ST_TABLE[${i}]`, offset: PCI_TPH_BASE_SIZEOF + 2 * i, dataOffset: 4 + 2 * i, width: 2 })),
  ];
}

/**
 * Linux's in-kernel saved PCI state, as data (linux-pci.md section 1):
 *   struct pci_dev { u32 saved_config_space[16]; unsigned state_saved:1; hlist saved_cap_space; }
 *   struct pci_cap_saved_data { u16 cap_nr; bool cap_extended; unsigned int size; u32 data[]; }
 * `savedCapSpace` is in hlist order from the head (reverse allocation order: hlist_add_head), which
 * is also the order pci_store_saved_state writes the blob in.
 */
export interface SavedCapBuffer {
  /** PCI_CAP_ID_* or PCI_EXT_CAP_ID_*. */
  readonly capNr: number;
  readonly extended: boolean;
  /** data[] as bytes; its length is the kernel's `size` (not necessarily a multiple of 4). */
  readonly data: Uint8Array;
}

export interface PciSavedDevState {
  /** saved_config_space[16]: dwords 0x00..0x3c. */
  readonly savedConfigSpace: Uint32Array;
  stateSaved: boolean;
  /** saved_cap_space in hlist order from the head. Buffers start zeroed (kzalloc). */
  readonly savedCapSpace: SavedCapBuffer[];
}

/** The opaque struct pci_saved_state that pci_store_saved_state returns (before serialization). */
export interface PciSavedState {
  readonly configSpace: Uint32Array;
  readonly caps: readonly SavedCapBuffer[];
}

export function newSavedDevState(): PciSavedDevState {
  return { savedConfigSpace: new Uint32Array(16), stateSaved: false, savedCapSpace: [] };
}

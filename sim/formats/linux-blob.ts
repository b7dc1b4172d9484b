/**
 * The Linux blob: `struct pci_saved_state` exactly as pci_store_saved_state lays it out on x86-64
 * (drivers/pci/pci.c pci_store_saved_state; struct layout linux-pci.md sections 1 and 5):
 *
 *   0x00  u32 config_space[16]                   saved_config_space, little-endian
 *   0x40  { u16 cap_nr; u8 cap_extended; u8 pad; u32 size; u8 data[size] }   one per save buffer,
 *         ...                                    in saved_cap_space (hlist) order, back to back:
 *         ...                                    entries are unaligned after an odd-sized one
 *   end-8 8 zero bytes                           the kzalloc'd empty cap that ends the list
 *
 * There is no version, no identity and no checksum: pci_load_saved_state trusts the layout. This
 * file models both functions exactly, including the partial copy on -EINVAL, plus a structural
 * parser that refuses malformed bytes with a typed SimError (the kernel would read past the end).
 *
 * `layout: 'rfc-packed'` is the October 2025 VFIO live-update RFC's `pci_cap_saved_data_ser`
 * (`__packed`, so a 7-byte entry header: size at +3), written and read entry by entry as its
 * serialize_pci_cap_saved_data / deserialize_pci_cap_saved_data do (RFC patch 16/21,
 * drivers/vfio/pci/vfio_pci_liveupdate.c). rfcSizeFromSer models that patch's sizing walk, which
 * steps by sizeof(struct pci_cap_saved_data) = 8 instead (linux-pci.md section 10).
 */
import { SimError } from '../errors.js';
import type { PciSavedDevState, PciSavedState, SavedCapBuffer } from '../saved-state.js';

export type BlobLayout = 'kernel' | 'rfc-packed';

/** sizeof(struct pci_saved_state) without its flexible array: u32 config_space[16]. */
export const CONFIG_SPACE_BYTES = 64;
/** sizeof(struct pci_cap_saved_data) on LP64 (kernel) or with __packed (RFC _ser). */
export const CAP_HEADER_BYTES: Readonly<Record<BlobLayout, number>> = { kernel: 8, 'rfc-packed': 7 };
/** Offset of `size` inside the entry header: after the pad byte, or right after the bool. */
const SIZE_FIELD: Readonly<Record<BlobLayout, number>> = { kernel: 4, 'rfc-packed': 3 };
/**
 * Largest data[] a real save buffer can have: every buffer mirrors registers inside the 4 KiB
 * extended config space (the biggest, VC with its arbitration tables, sits in it too: vc.c
 * pci_vc_do_save_buffer). A larger size field is corruption, not a capability.
 */
export const MAX_CAP_DATA_BYTES = 4096;
/** -EINVAL as pci_load_saved_state returns it. */
const NEG_EINVAL = -22 as const;

const hex = (n: number, w = 2) => `0x${n.toString(16).padStart(w, '0')}`;

export interface CapRef {
  readonly capNr: number;
  readonly extended: boolean;
}

export function capName(ref: CapRef): string {
  return `${ref.extended ? 'ext' : 'std'} cap ${hex(ref.capNr)}`;
}

/**
 * drivers/pci/pci.c pci_store_saved_state: NULL unless state_saved; otherwise a copy of
 * saved_config_space and of every save buffer (header and data) in hlist order.
 */
export function pciStoreSavedState(dev: PciSavedDevState): PciSavedState | null {
  if (!dev.stateSaved) return null;
  return {
    configSpace: Uint32Array.from(dev.savedConfigSpace),
    caps: dev.savedCapSpace.map((c) => ({ capNr: c.capNr, extended: c.extended, data: c.data.slice() })),
  };
}

export function linuxBlobSize(state: PciSavedState, layout: BlobLayout = 'kernel'): number {
  const header = CAP_HEADER_BYTES[layout];
  return state.caps.reduce((n, c) => n + header + c.data.length, CONFIG_SPACE_BYTES + header);
}

/** The bytes pci_store_saved_state leaves in its kzalloc'd buffer (or the RFC's _ser folio). */
export function serializeLinuxBlob(state: PciSavedState, layout: BlobLayout = 'kernel'): Uint8Array {
  if (state.configSpace.length !== 16) {
    throw new SimError('invalid-input', `config_space must hold 16 dwords, got ${state.configSpace.length}`, {
      dwords: state.configSpace.length,
    });
  }
  const out = new Uint8Array(linuxBlobSize(state, layout));
  const view = new DataView(out.buffer);
  state.configSpace.forEach((dw, i) => view.setUint32(i * 4, dw, true));
  let pos = CONFIG_SPACE_BYTES;
  for (const cap of state.caps) {
    checkEncodable(cap);
    view.setUint16(pos, cap.capNr, true);
    view.setUint8(pos + 2, cap.extended ? 1 : 0);
    view.setUint32(pos + SIZE_FIELD[layout], cap.data.length, true);
    pos += CAP_HEADER_BYTES[layout];
    out.set(cap.data, pos);
    pos += cap.data.length;
  }
  return out; // the trailing header is already zero: "Empty cap_save terminates list"
}

function checkEncodable(cap: SavedCapBuffer): void {
  const maxId = cap.extended ? 0xffff : 0xff;
  if (!Number.isInteger(cap.capNr) || cap.capNr < 0 || cap.capNr > maxId) {
    throw new SimError('invalid-input', `capability ID ${cap.capNr} does not fit a ${cap.extended ? 'u16' : 'u8'}`, {
      capNr: cap.capNr,
    });
  }
  if (cap.data.length === 0) {
    // A zero size would be read back as the terminator (pci_load_saved_state: while (cap->size)).
    throw new SimError('invalid-input', `${capName(cap)} has an empty save buffer; no kernel allocates one`, {
      capNr: cap.capNr,
      extended: cap.extended,
    });
  }
}

/**
 * Structural parse of a blob. Stricter than the kernel, which walks `while (cap->size)` with no
 * bound: an entry that overruns the bytes or a missing terminator is `blob-truncated`; bytes after
 * the terminator or a size above MAX_CAP_DATA_BYTES is `blob-oversized`; a cap_extended byte other
 * than 0/1 (a C bool), a non-zero pad byte (kzalloc'd by _pci_add_cap_save_buffer), a standard ID
 * above 0xff or a terminator that is not all zero is `blob-corrupt`.
 */
export function parseLinuxBlob(bytes: Uint8Array, layout: BlobLayout = 'kernel'): PciSavedState {
  const header = CAP_HEADER_BYTES[layout];
  if (bytes.length < CONFIG_SPACE_BYTES + header) {
    throw new SimError(
      'blob-truncated',
      `Linux blob is ${bytes.length} bytes; the smallest valid one is ${CONFIG_SPACE_BYTES + header} (config dwords + terminator). Check that the whole buffer was copied.`,
      { length: bytes.length, minimum: CONFIG_SPACE_BYTES + header },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const configSpace = new Uint32Array(16);
  for (let i = 0; i < 16; i++) configSpace[i] = view.getUint32(i * 4, true);
  const caps: SavedCapBuffer[] = [];
  let pos = CONFIG_SPACE_BYTES;
  for (;;) {
    if (pos + header > bytes.length) {
      throw new SimError(
        'blob-truncated',
        `Linux blob ends at byte ${bytes.length} inside the entry header at ${pos}: no terminator. The blob was cut short.`,
        { offset: pos, length: bytes.length, entries: caps.length },
      );
    }
    const capNr = view.getUint16(pos, true);
    const ext = view.getUint8(pos + 2);
    const size = view.getUint32(pos + SIZE_FIELD[layout], true);
    const pad = layout === 'kernel' ? view.getUint8(pos + 3) : 0;
    if (size === 0) {
      if (capNr !== 0 || ext !== 0 || pad !== 0) {
        throw new SimError('blob-corrupt', `terminator at byte ${pos} is not all zero (cap_nr ${hex(capNr)}, cap_extended ${ext}, pad ${pad})`, {
          offset: pos,
          capNr,
          capExtended: ext,
          pad,
        });
      }
      pos += header;
      break;
    }
    if (ext > 1) {
      throw new SimError('blob-corrupt', `entry at byte ${pos}: cap_extended is ${ext}, a C bool must be 0 or 1`, { offset: pos, capExtended: ext });
    }
    if (pad !== 0) {
      throw new SimError('blob-corrupt', `entry at byte ${pos}: pad byte is ${hex(pad)}, pci_store_saved_state copies a zeroed one`, { offset: pos, pad });
    }
    if (ext === 0 && capNr > 0xff) {
      throw new SimError('blob-corrupt', `entry at byte ${pos}: standard capability ID ${hex(capNr, 4)} does not fit a u8`, { offset: pos, capNr });
    }
    if (size > MAX_CAP_DATA_BYTES) {
      throw new SimError(
        'blob-oversized',
        `entry at byte ${pos} claims ${size} bytes of data; no save buffer exceeds ${MAX_CAP_DATA_BYTES} (the extended config space)`,
        { offset: pos, size, maximum: MAX_CAP_DATA_BYTES },
      );
    }
    const dataAt = pos + header;
    if (dataAt + size > bytes.length) {
      throw new SimError(
        'blob-truncated',
        `entry at byte ${pos} (${capName({ capNr, extended: ext === 1 })}) needs ${size} data bytes but only ${bytes.length - dataAt} remain`,
        { offset: pos, size, remaining: bytes.length - dataAt },
      );
    }
    caps.push({ capNr, extended: ext === 1, data: bytes.slice(dataAt, dataAt + size) });
    pos = dataAt + size;
  }
  if (pos !== bytes.length) {
    throw new SimError(
      'blob-oversized',
      `Linux blob has ${bytes.length - pos} bytes after its terminator at ${pos - header}; pass exactly the bytes pci_store_saved_state produced`,
      { terminatorAt: pos - header, length: bytes.length, trailing: bytes.length - pos },
    );
  }
  return { configSpace, caps };
}

export type LoadFailureReason = 'missing-buffer' | 'size-mismatch';

export interface LoadFailure extends CapRef {
  /** Index of the blob entry that failed. */
  readonly index: number;
  readonly reason: LoadFailureReason;
  readonly blobSize: number;
  /** Size of the device buffer found, when the reason is a size mismatch. */
  readonly deviceSize?: number;
}

export interface CopiedEntry extends CapRef {
  readonly index: number;
  /** Position of the device buffer written in savedCapSpace. */
  readonly deviceIndex: number;
  readonly size: number;
}

export interface StaleBuffer extends CapRef {
  readonly deviceIndex: number;
  /** Why this load did not write it. */
  readonly why: 'absent-from-blob' | 'load-aborted' | 'shadowed-duplicate';
}

export interface LoadResult {
  /** pci_load_saved_state's return value: 0 or -EINVAL (-22). */
  readonly ret: 0 | -22;
  /** dev->state_saved after the call. */
  readonly stateSaved: boolean;
  /** Whether saved_config_space was overwritten (always, unless the state was NULL). */
  readonly configCopied: boolean;
  readonly copied: readonly CopiedEntry[];
  readonly failed?: LoadFailure;
  /** Blob entries after the failing one: never looked at. */
  readonly notReached: readonly CapRef[];
  /** Device buffers this load did not write: they keep stale contents (or kzalloc zeros). */
  readonly stale: readonly StaleBuffer[];
  /** The -EINVAL as typed data (code 'load-einval'), for callers that report or throw it. */
  readonly error?: SimError;
}

/** _pci_find_saved_cap: first buffer in hlist order whose (cap_extended, cap_nr) match. */
function findSavedCap(dev: PciSavedDevState, ref: CapRef): number {
  return dev.savedCapSpace.findIndex((c) => c.extended === ref.extended && c.capNr === ref.capNr);
}

/**
 * drivers/pci/pci.c pci_load_saved_state, step for step:
 *   state_saved = false; if (!state) return 0; memcpy(saved_config_space, state->config_space);
 *   while (cap->size) { tmp = _pci_find_saved_cap(...); if (!tmp || tmp->cap.size != cap->size)
 *   return -EINVAL; memcpy(tmp->cap.data, cap->data, size); } state_saved = true; return 0;
 * On -EINVAL the config dwords and the earlier caps are already in the device: nothing is undone.
 */
export function pciLoadSavedState(dev: PciSavedDevState, state: PciSavedState | null): LoadResult {
  dev.stateSaved = false;
  if (!state) {
    return { ret: 0, stateSaved: false, configCopied: false, copied: [], notReached: [], stale: staleBuffers(dev, new Set(), false) };
  }
  dev.savedConfigSpace.set(state.configSpace);
  const written = new Set<number>();
  const copied: CopiedEntry[] = [];
  for (let index = 0; index < state.caps.length; index++) {
    const cap = state.caps[index];
    if (cap.data.length === 0) {
      // `while (cap->size)`: a zero-sized entry reads as the terminator; the rest is never seen.
      dev.stateSaved = true;
      const notReached = state.caps.slice(index).map((c) => ({ capNr: c.capNr, extended: c.extended }));
      return { ret: 0, stateSaved: true, configCopied: true, copied, notReached, stale: staleBuffers(dev, written, false) };
    }
    const ref = { capNr: cap.capNr, extended: cap.extended };
    const deviceIndex = findSavedCap(dev, ref);
    const target = deviceIndex < 0 ? undefined : dev.savedCapSpace[deviceIndex];
    if (!target || target.data.length !== cap.data.length) {
      const failed: LoadFailure = target
        ? { ...ref, index, reason: 'size-mismatch', blobSize: cap.data.length, deviceSize: target.data.length }
        : { ...ref, index, reason: 'missing-buffer', blobSize: cap.data.length };
      return {
        ret: NEG_EINVAL,
        stateSaved: false,
        configCopied: true,
        copied,
        failed,
        notReached: state.caps.slice(index + 1).map((c) => ({ capNr: c.capNr, extended: c.extended })),
        stale: staleBuffers(dev, written, true),
        error: einval(failed, copied.length),
      };
    }
    target.data.set(cap.data);
    written.add(deviceIndex);
    copied.push({ ...ref, index, deviceIndex, size: cap.data.length });
  }
  dev.stateSaved = true;
  return { ret: 0, stateSaved: true, configCopied: true, copied, notReached: [], stale: staleBuffers(dev, written, false) };
}

/**
 * pci_load_and_free_saved_state: load, then kfree(*state) and *state = NULL whatever the result.
 * `holder.state` plays the part of the caller's pointer (vdev->pci_saved_state in VFIO).
 */
export function pciLoadAndFreeSavedState(dev: PciSavedDevState, holder: { state: PciSavedState | null }): LoadResult {
  const result = pciLoadSavedState(dev, holder.state);
  holder.state = null;
  return result;
}

function staleBuffers(dev: PciSavedDevState, written: Set<number>, aborted: boolean): StaleBuffer[] {
  const stale: StaleBuffer[] = [];
  dev.savedCapSpace.forEach((c, deviceIndex) => {
    if (written.has(deviceIndex)) return;
    const shadowed = findSavedCap(dev, c) !== deviceIndex;
    const why = shadowed ? 'shadowed-duplicate' : aborted ? 'load-aborted' : 'absent-from-blob';
    stale.push({ capNr: c.capNr, extended: c.extended, deviceIndex, why });
  });
  return stale;
}

function einval(failed: LoadFailure, copiedCount: number): SimError {
  const what =
    failed.reason === 'missing-buffer'
      ? `the device has no save buffer for ${capName(failed)}`
      : `${capName(failed)} is ${failed.blobSize} bytes in the blob but ${failed.deviceSize} on the device`;
  return new SimError(
    'load-einval',
    `pci_load_saved_state returned -EINVAL at blob entry ${failed.index}: ${what}. saved_config_space and ${copiedCount} earlier capabilities were already overwritten and state_saved is false; the saving and loading kernels disagree on the capability set or layout.`,
    { ...failed, copiedBeforeFailure: copiedCount },
  );
}

export interface RfcSizeWalk {
  /** What pci_saved_state_size_from_ser computes (and deserialize_pci_saved_state kzallocs). */
  readonly computed: number;
  /** The size the kernel struct actually needs: 64 + 8 + sum(8 + size) over the real entries. */
  readonly needed: number;
  /** The walk left the folio holding the _ser blob (an out-of-bounds read in the kernel). */
  readonly overran: boolean;
}

const PAGE_SIZE = 4096;

/**
 * RFC patch 16/21 pci_saved_state_size_from_ser: walks the packed _ser blob but steps by
 * sizeof(struct pci_cap_saved_data) (8) + size, one byte too far per entry, so with more than one
 * capability it reads `size` from inside the previous entry's data (linux-pci.md section 10).
 * The blob sits in a __GFP_ZERO folio of get_order(kernel size) pages (serialize_pci_saved_state),
 * so bytes past the blob read as zero until the folio ends.
 */
export function rfcSizeFromSer(ser: Uint8Array): RfcSizeWalk {
  const needed = linuxBlobSize(parseLinuxBlob(ser, 'rfc-packed'), 'kernel');
  let folio = PAGE_SIZE;
  while (folio < needed) folio *= 2;
  const byteAt = (i: number) => (i < ser.length ? ser[i] : 0);
  const kernelHeader = CAP_HEADER_BYTES.kernel;
  let computed = CONFIG_SPACE_BYTES + kernelHeader;
  let pos = CONFIG_SPACE_BYTES;
  for (;;) {
    const sizeAt = pos + SIZE_FIELD['rfc-packed'];
    if (sizeAt + 4 > folio) return { computed, needed, overran: true };
    const size = (byteAt(sizeAt) | (byteAt(sizeAt + 1) << 8) | (byteAt(sizeAt + 2) << 16) | (byteAt(sizeAt + 3) << 24)) >>> 0;
    if (size === 0) return { computed, needed, overran: false };
    computed += kernelHeader + size;
    pos += kernelHeader + size;
  }
}

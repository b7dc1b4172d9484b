/**
 * The blob a real kernel stored (pci_store_saved_state in the guest, kexec/guest-module) next to
 * the model's: its entry list, a byte-by-byte comparison naming every differing byte's register,
 * the layout-drift edits applied to a real blob, and what a refused pci_load_saved_state had
 * already copied (issue 8, "The real cycle with the kernel as saver").
 */
import type { PciFunction } from '../../devices/device.js';
import { readLE } from '../../devices/bytes.js';
import { capName, CAP_HEADER_BYTES, CONFIG_SPACE_BYTES, parseLinuxBlob, pciLoadSavedState, serializeLinuxBlob } from '../formats/linux-blob.js';
import { applyDrift, type Drift } from '../linux/drift.js';
import { bufferSlots, type SavedLayouts } from '../linux/layouts.js';
import type { KernelProfile } from '../linux/profile.js';
import { newSavedDevState, type SavedCapBuffer } from '../saved-state.js';
import { capTable } from './provenance.js';

export interface BlobEntry {
  readonly capNr: number;
  readonly extended: boolean;
  readonly size: number;
}

/** The entries of a kernel-layout blob, in order (the terminator left out). */
export function blobEntries(blob: Uint8Array): BlobEntry[] {
  return parseLinuxBlob(blob).caps.map((c) => ({ capNr: c.capNr, extended: c.extended, size: c.data.length }));
}

export interface BlobByteDifference {
  /** Byte offset in the blob. */
  readonly offset: number;
  /** `config_space` or the entry (`ext cap 0x01`), and the register the byte belongs to. */
  readonly where: string;
  readonly register: string;
  readonly real: number;
  readonly model: number;
  /**
   * `model-state`: the kernel saved a value the captured device did not show (state the model did
   * not have: e.g. written between the capture and the save); `model-disagrees`: the real value is
   * the device's captured value and the model stored another.
   */
  readonly why: 'model-state' | 'model-disagrees' | 'layout';
}

interface ByteOwner {
  readonly where: string;
  readonly register: string;
  /** Absolute config offset and width of the register, to read its captured value. */
  readonly config?: { readonly offset: number; readonly width: number; readonly byte: number };
}

function slotsOf(layouts: SavedLayouts, c: SavedCapBuffer, fn?: PciFunction): ReturnType<typeof bufferSlots> {
  // Root Ports and RCECs carry PCI_ERR_ROOT_COMMAND: the ERR buffer is then one u32 longer.
  return bufferSlots(layouts, c.capNr, c.extended, c.extended && c.capNr === 0x01 && c.data.length > layouts.aer.length * 4, fn ? capTable(fn, c.capNr, c.extended) : undefined);
}

/** What each byte of a blob holds, by the header registers and the saving kernel's layouts. */
function byteOwners(blob: Uint8Array, fn: PciFunction, layouts: SavedLayouts): ByteOwner[] {
  const owners: ByteOwner[] = [];
  const header = fn.space.layout.registers.filter((r) => r.offset < CONFIG_SPACE_BYTES);
  for (let i = 0; i < CONFIG_SPACE_BYTES; i++) {
    const r = header.find((x) => x.offset <= i && i < x.offset + x.width);
    owners.push({ where: 'config_space', register: r?.name ?? `config byte 0x${i.toString(16)}`, ...(r ? { config: { offset: r.offset, width: r.width, byte: i - r.offset } } : {}) });
  }
  for (const c of parseLinuxBlob(blob).caps) {
    const where = capName(c);
    for (let i = 0; i < CAP_HEADER_BYTES.kernel; i++) owners.push({ where, register: 'entry header (cap_nr, cap_extended, size)' });
    const slots = slotsOf(layouts, c, fn);
    const cap = fn.walk.capabilities.find((x) => x.id === c.capNr && x.extended === c.extended);
    for (let i = 0; i < c.data.length; i++) {
      const s = slots?.find((x) => x.dataOffset <= i && i < x.dataOffset + x.width);
      owners.push({ where, register: s?.name ?? `data[${i}]`, ...(s && cap && s.offset >= 0 ? { config: { offset: cap.offset + s.offset, width: s.width, byte: i - s.dataOffset } } : {}) });
    }
  }
  return owners;
}

/**
 * Every byte where the real blob and the model's differ, named by register. Blobs of different
 * sizes differ in layout; their bytes are compared up to the shorter one.
 */
export function compareBlobs(real: Uint8Array, model: Uint8Array, fn: PciFunction, captured: Uint8Array, saver: KernelProfile): BlobByteDifference[] {
  const owners = byteOwners(real, fn, saver.layouts);
  const out: BlobByteDifference[] = [];
  for (let i = 0; i < Math.min(real.length, model.length); i++) {
    if (real[i] === model[i]) continue;
    const o = owners[i] ?? { where: 'terminator', register: 'terminator' };
    const dev = o.config ? (readLE(captured, o.config.offset, o.config.width) >>> (8 * o.config.byte)) & 0xff : undefined;
    out.push({ offset: i, where: o.where, register: o.register, real: real[i]!, model: model[i]!, why: real.length !== model.length ? 'layout' : dev === real[i] ? 'model-disagrees' : 'model-state' });
  }
  return out;
}

/**
 * The real blob re-encoded as a kernel whose data[] layouts carry `drifts` would have stored it:
 * each slot of a drifted buffer takes the value of the same-named slot of the saver's layout (a
 * new register reads 0). `pcie:+reg` grows the EXP entry from 14 to 16 bytes; `pcie:swap(A,B)`
 * swaps two u16 slots; `pcie:widen(A)` makes one a dword: the edits the model's drift experiments
 * make to kernel B's layouts.
 */
export function driftBlob(blob: Uint8Array, saver: KernelProfile, drifts: readonly Drift[]): Uint8Array {
  const drifted = applyDrift(saver, drifts).layouts;
  const state = parseLinuxBlob(blob);
  const caps = state.caps.map((c) => {
    const from = slotsOf(saver.layouts, c);
    if (!from) return c;
    const fromRoot = from.length > (c.extended ? saver.layouts.aer.length : saver.layouts.exp.length);
    const to = bufferSlots(drifted, c.capNr, c.extended, fromRoot);
    if (!to) return c;
    // A widened slot keeps the saved register in its low half (the rest was never in the blob: 0);
    // a narrowed one keeps the register's low half.
    const data = new Uint8Array(to.reduce((n, s) => n + s.width, 0));
    for (const slot of to) {
      const src = from.find((s) => s.name === slot.name);
      if (src) data.set(c.data.subarray(src.dataOffset, src.dataOffset + Math.min(src.width, slot.width)), slot.dataOffset);
    }
    return { ...c, data };
  });
  return serializeLinuxBlob({ ...state, caps });
}

export interface KernelLoadReport {
  readonly ret: number;
  /** Entries pci_load_saved_state copied before it stopped (all of them when ret is 0). */
  readonly copied: readonly string[];
  /** The entry it refused, and why, when ret is -22. */
  readonly refusedAt?: string;
}

/**
 * What pci_load_saved_state (drivers/pci/pci.c) did with `blob` given kernel B's buffers, by the
 * model's own pciLoadSavedState (sim/formats/linux-blob.ts) over buffers of those sizes: it copies
 * config_space, then each entry in blob order, and returns -EINVAL at the first entry with no
 * buffer or another size, keeping what it copied.
 */
export function kernelLoadReport(ret: number, blob: Uint8Array, buffersB: readonly BlobEntry[]): KernelLoadReport {
  const dev = newSavedDevState();
  dev.savedCapSpace.push(...buffersB.map((b) => ({ capNr: b.capNr, extended: b.extended, data: new Uint8Array(b.size) })));
  const load = pciLoadSavedState(dev, parseLinuxBlob(blob));
  const copied = ['config_space (64 bytes)', ...load.copied.map((c) => `${capName(c)} (${c.size} bytes)`)];
  const f = load.failed;
  if (!f) return { ret, copied };
  return { ret, copied, refusedAt: `${capName(f)}: ${f.reason === 'size-mismatch' ? `size ${f.blobSize} in the blob vs ${f.deviceSize} in kernel B's buffer` : 'kernel B has no buffer for it'}` };
}

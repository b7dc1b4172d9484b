/**
 * Carrying the saved state across the kexec in a format: serialize from kernel A's saved state,
 * load into kernel B's buffers.
 *  - linux-blob: pci_store_saved_state bytes; loaded by pci_load_saved_state, which copies data[]
 *    by position and checks only (cap_nr, extended) and size.
 *  - lusim-v1: one record per saved register; kernel B fills each of its own slots from the record
 *    for the same register (by identity, not position). A register with no record is "left as
 *    found": the slot gets the register's current value, so the restore writes back what is there.
 */
import { readLE, writeLE } from '../../devices/bytes.js';
import { capabilityById } from '../../devices/capability-lookup.js';
import {
  PCI_CAP_ID_SSVID, PCI_CB_SUBSYSTEM_ID, PCI_CB_SUBSYSTEM_VENDOR_ID, PCI_EXT_CAP_ID_DSN, PCI_HEADER_TYPE, PCI_HEADER_TYPE_BRIDGE,
  PCI_HEADER_TYPE_CARDBUS, PCI_HEADER_TYPE_MASK, PCI_SSVID_DEVICE_ID, PCI_SSVID_VENDOR_ID, PCI_SUBSYSTEM_ID, PCI_SUBSYSTEM_VENDOR_ID,
} from '../../devices/pci-regs.js';
import type { PciFunction } from '../../devices/device.js';
import { SimError } from '../errors.js';
import { parseLinuxBlob, pciLoadSavedState, pciStoreSavedState, serializeLinuxBlob } from '../formats/linux-blob.js';
import { applyRecords, decodeLusimV1, encodeLusimV1, type LusimIdentity, type RegisterRecord } from '../formats/lusim-v1.js';
import { bufferSlots } from '../linux/layouts.js';
import type { KernelProfile } from '../linux/profile.js';
import type { PciSavedDevState } from '../saved-state.js';
import type { ConfigAccess } from '../../devices/access.js';
import { bufferName, capTable, hasRtctl, type BufferFill } from './provenance.js';

export type SaveFormat = 'linux-blob' | 'lusim-v1';
export const SAVE_FORMATS: readonly SaveFormat[] = ['linux-blob', 'lusim-v1'];

/** The serialized state; `null` when pci_store_saved_state returned NULL (state not saved). */
export type Carried = { readonly format: SaveFormat; readonly bytes: Uint8Array | null };


/**
 * The identity lusim-v1 checks at load: the IDs the kernel knows the function by. The subsystem
 * IDs are where probe.c pci_setup_device reads them for the header type (v7.3 probe.c): the
 * type 0 header's 0x2c; a bridge's Subsystem Vendor ID capability (PCI_CAP_ID_SSVID; none: 0),
 * since a type 1 header's 0x2c is its Prefetchable Limit Upper 32 Bits, a window a reset clears;
 * a CardBus bridge's 0x40.
 */
export function deviceIdentity(fn: PciFunction): LusimIdentity {
  const s = fn.space;
  const dsnCap = capabilityById(fn, PCI_EXT_CAP_ID_DSN, true);
  const [subsystemVendor, subsystemDevice] = subsystemIds(fn);
  const base: LusimIdentity = {
    vendor: s.read(0x00, 2), device: s.read(0x02, 2), subsystemVendor, subsystemDevice,
    classCode: s.read(0x08, 4) >>> 8, revision: s.read(0x08, 1),
  };
  if (!dsnCap) return base;
  return { ...base, dsn: (BigInt(s.read(dsnCap.offset + 8, 4)) << 32n) | BigInt(s.read(dsnCap.offset + 4, 4)) };
}

function subsystemIds(fn: PciFunction): [vendor: number, device: number] {
  const s = fn.space;
  switch (s.read(PCI_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MASK) {
    case PCI_HEADER_TYPE_BRIDGE: {
      const ssvid = capabilityById(fn, PCI_CAP_ID_SSVID, false);
      return ssvid ? [s.read(ssvid.offset + PCI_SSVID_VENDOR_ID, 2), s.read(ssvid.offset + PCI_SSVID_DEVICE_ID, 2)] : [0, 0];
    }
    case PCI_HEADER_TYPE_CARDBUS: return [s.read(PCI_CB_SUBSYSTEM_VENDOR_ID, 2), s.read(PCI_CB_SUBSYSTEM_ID, 2)];
    default: return [s.read(PCI_SUBSYSTEM_VENDOR_ID, 2), s.read(PCI_SUBSYSTEM_ID, 2)];
  }
}

export function serializeSaved(format: SaveFormat, fn: PciFunction, profileA: KernelProfile, saved: PciSavedDevState): Carried {
  if (format === 'linux-blob') {
    const state = pciStoreSavedState(saved);
    return { format, bytes: state ? serializeLinuxBlob(state) : null };
  }
  if (!saved.stateSaved) return { format, bytes: null };
  const records: RegisterRecord[] = [];
  for (let i = 0; i < 16; i++) records.push({ capId: 'header', extended: false, offset: i * 4, width: 4, value: saved.savedConfigSpace[i], mask: 0xffffffff });
  const rt = hasRtctl(fn);
  for (const buf of saved.savedCapSpace) {
    const slots = bufferSlots(profileA.layouts, buf.capNr, buf.extended, rt, capTable(fn, buf.capNr, buf.extended));
    if (!slots) continue; // no layout: the buffer names a capability the function lacks
    for (const s of slots) {
      if (s.offset < 0) continue;
      records.push({ capId: buf.capNr, extended: buf.extended, offset: s.offset, width: s.width, value: readLE(buf.data, s.dataOffset, s.width), mask: s.width === 4 ? 0xffffffff : (1 << (8 * s.width)) - 1 });
    }
  }
  return { format, bytes: encodeLusimV1(deviceIdentity(fn), records) };
}

export interface LoadOutcome {
  /** 0, or the error the new kernel refuses the state with. */
  readonly ret: number;
  readonly error?: string;
  readonly fills: ReadonlyMap<string, BufferFill>;
  readonly notes: readonly string[];
}

/** Load the carried state into kernel B's buffers (`saved`), as kernel B would. */
export async function loadCarried(carried: Carried, fn: PciFunction, profileB: KernelProfile, saved: PciSavedDevState, config: ConfigAccess): Promise<LoadOutcome> {
  const fills = new Map<string, BufferFill>();
  const notes: string[] = [];
  for (const b of saved.savedCapSpace) fills.set(`${b.extended}:${b.capNr}`, { kind: 'untouched' });
  if (carried.bytes === null) {
    saved.stateSaved = false;
    return { ret: 0, fills, notes: ['kernel A stored no state (pci_store_saved_state returned NULL: state_saved was false)'] };
  }
  if (carried.format === 'linux-blob') {
    let state;
    try {
      state = parseLinuxBlob(carried.bytes);
    } catch (e) {
      if (!(e instanceof SimError)) throw e;
      saved.stateSaved = false;
      return { ret: -22, error: e.message, fills, notes };
    }
    const res = pciLoadSavedState(saved, state);
    for (const c of res.copied) fills.set(`${c.extended}:${c.capNr}`, { kind: 'positional' });
    for (const s of res.stale) notes.push(`${bufferName(s.capNr, s.extended)} buffer not written by the load (${s.why}): keeps ${profileB.saveAtBusAddDevice ? 'its enumeration-time save (pci_bus_add_device)' : 'kzalloc zeros'}`);
    if (res.failed) {
      const f = res.failed;
      const why = f.reason === 'missing-buffer' ? `no ${bufferName(f.capNr, f.extended)} buffer in the new kernel` : `${bufferName(f.capNr, f.extended)} size ${f.blobSize} in the blob vs ${f.deviceSize} in the new kernel`;
      return { ret: res.ret, error: `pci_load_saved_state -EINVAL: ${why}; config dwords and earlier entries already copied`, fills, notes };
    }
    return { ret: 0, fills, notes };
  }
  let decoded;
  try {
    decoded = decodeLusimV1(carried.bytes, { expectIdentity: deviceIdentity(fn), knownCapability: (id, ext) => capabilityById(fn, id, ext) !== undefined });
  } catch (e) {
    if (!(e instanceof SimError)) throw e;
    saved.stateSaved = false;
    return { ret: -22, error: `lusim-v1 refused: ${e.message}`, fills, notes };
  }
  for (const w of decoded.warnings) notes.push(`lusim-v1: ${w.message}`);
  saved.stateSaved = false;
  // Each record by offset, width and mask: narrower header records fill their part of a dword
  // (issue 13: two 2-byte records at 0x04/0x06 used to overwrite the whole dword from bit 0).
  for (let i = 0; i < 16; i++) {
    const slot = { capId: 'header', extended: false, offset: i * 4, width: 4 } as const;
    saved.savedConfigSpace[i] = await fillFromRecords(decoded.records, slot, `header dword ${hex(i * 4)}`, () => config.readl(i * 4), notes);
  }
  const rt = hasRtctl(fn);
  for (const buf of saved.savedCapSpace) {
    const slots = bufferSlots(profileB.layouts, buf.capNr, buf.extended, rt, capTable(fn, buf.capNr, buf.extended));
    if (!slots) { notes.push(`${bufferName(buf.capNr, buf.extended)}: no slots for this buffer: lusim-v1 does not carry it (left as saved at enumeration)`); continue; }
    const cap = capabilityById(fn, buf.capNr, buf.extended);
    for (const s of slots) {
      // offset -1: a register this function lacks (layouts.ts): no record can name it, it reads 0.
      const found = async () => (s.offset >= 0 && cap ? await (s.width === 4 ? config.readl(cap.offset + s.offset) : config.readw(cap.offset + s.offset)) : 0);
      const slot = { capId: buf.capNr, extended: buf.extended, offset: Math.max(0, s.offset), width: s.width };
      writeLE(buf.data, s.dataOffset, s.width, await fillFromRecords(s.offset < 0 ? [] : decoded.records, slot, s.name, found, notes));
    }
    fills.set(`${buf.extended}:${buf.capNr}`, { kind: 'by-register' });
  }
  saved.stateSaved = true;
  return { ret: 0, fills, notes };
}

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

/**
 * One register of kernel B's buffers from the records; bits no record owns are "left as found"
 * (compatibility rule, docs/formats.md), read from the device only when some bit needs it.
 */
async function fillFromRecords(records: readonly RegisterRecord[], slot: { capId: number | 'header'; extended: boolean; offset: number; width: 1 | 2 | 4 }, name: string, read: () => Promise<number>, notes: string[]): Promise<number> {
  const owned = applyRecords(records, slot, 0);
  if (owned.uncovered === 0) return owned.value;
  const current = await read();
  const all = slot.width === 4 ? 0xffffffff : (1 << (8 * slot.width)) - 1;
  notes.push(owned.uncovered === all ? `lusim-v1: no record for ${name}: left as found (0x${current.toString(16)})` : `lusim-v1: bits 0x${owned.uncovered.toString(16)} of ${name} have no record: left as found`);
  return applyRecords(records, slot, current).value;
}

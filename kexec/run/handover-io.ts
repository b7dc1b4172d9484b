/**
 * The host's side of the handover range (kexec/run/handover.ts): write the KHO-style envelope
 * (sim/formats/kho-envelope.ts, a flattened device tree) into guest memory with qtest `b64write`
 * before the kexec, read it back after, and say byte for byte whether it survived.
 *
 * qtest memory accesses go through the CPU address space (softmmu/qtest.c: address_space_rw on
 * first_cpu->as), so they reach guest RAM while the guest runs. The read-back covers exactly the
 * bytes written, so any change kernel B made to them is seen.
 */
import { LusimError } from '../../devices/errors.js';
import { decodeHandover, encodeHandover, type PreservedDevice } from '../../sim/formats/kho-envelope.js';
import { checkRange, MODULE_SLOTS, type HandoverRange } from './handover.js';
import type { QtestClient } from '../qemu/qtest.js';

export type HandoverIoErrorCode =
  /** The envelope does not fit the reserved range. */
  | 'too-large'
  /** What came back is not the envelope that was written (details: first difference, count). */
  | 'overwritten';

export class HandoverIoError extends LusimError<HandoverIoErrorCode> {}

/** b64write lines above this are split: QEMU reads a qtest line into a GString, but keep lines modest. */
const CHUNK = 64 * 1024;

export interface Written {
  readonly range: HandoverRange;
  readonly bytes: Uint8Array;
  readonly ms: number;
}

export interface Survival {
  readonly intact: boolean;
  readonly length: number;
  /** Offsets (from the range base) that differ, at most 16, and how many in all. */
  readonly firstDifferences: readonly number[];
  readonly differing: number;
  /** The envelope decoded from what came back (only when intact). */
  readonly devices: readonly PreservedDevice[];
  readonly ms: number;
}

/** Encode `devices` and write them at the start of the range. */
export async function writeHandover(qtest: QtestClient, range: HandoverRange, devices: readonly PreservedDevice[]): Promise<Written> {
  checkRange(range);
  const t0 = performance.now();
  const bytes = encodeHandover(devices);
  if (bytes.length > MODULE_SLOTS.offset(range)) {
    throw new HandoverIoError('too-large', `the handover envelope is ${bytes.length} bytes, larger than the lower half of the ${range.size}-byte range (the upper half holds the guest module's slots); reserve a bigger range.`, { bytes: bytes.length, size: range.size });
  }
  for (let off = 0; off < bytes.length; off += CHUNK) await qtest.b64write(range.base + off, bytes.subarray(off, Math.min(bytes.length, off + CHUNK)));
  return { range, bytes, ms: performance.now() - t0 };
}

/** Read back as many bytes as were written and compare; decode when intact. */
export async function readHandover(qtest: QtestClient, written: Written): Promise<Survival> {
  const t0 = performance.now();
  const back = new Uint8Array(written.bytes.length);
  for (let off = 0; off < back.length; off += CHUNK) back.set(await qtest.b64read(written.range.base + off, Math.min(CHUNK, back.length - off)), off);
  const diffs: number[] = [];
  let differing = 0;
  for (let i = 0; i < back.length; i++) {
    if (back[i] !== written.bytes[i]) {
      differing++;
      if (diffs.length < 16) diffs.push(i);
    }
  }
  const intact = differing === 0;
  return { intact, length: back.length, firstDifferences: diffs, differing, devices: intact ? decodeHandover(back) : [], ms: performance.now() - t0 };
}

/** A survival report that did not hold, as a typed error (what kernel B did to the range). */
export function overwrittenError(s: Survival, range: HandoverRange): HandoverIoError {
  return new HandoverIoError('overwritten', `kernel B changed ${s.differing} of the ${s.length} handover bytes at 0x${range.base.toString(16)} (first at +0x${(s.firstDifferences[0] ?? 0).toString(16)}); check that both command lines carry the memmap= reservation.`, { ...s, devices: undefined });
}

/**
 * `lusim cycle --qemu --saver kernel`: the guest kernels save and restore, the host records and
 * compares (issue 8). Kernel A's pci_save_state + pci_store_saved_state run in the guest through
 * lusim's module, which stashes the blob in a slot of the handover range; the host reads the slot
 * (the real blob), compares it byte by byte with the blob the model stores from the same captured
 * state, and may rewrite it with a layout drift. After the kexec, kernel B's module unstashes the
 * slot, pci_load_saved_state reports the kernel's own return code, and pci_restore_state runs; the
 * model runs the same load and restore on a model of the device as kernel B found it, which is the
 * prediction the real restored state is compared with.
 */
import type { LoadOutcome } from '../../sim/cycle/carry.js';
import type { ConfigWrite } from '../../sim/cycle/classify.js';
import { blobEntries, compareBlobs, driftBlob, kernelLoadReport, type BlobByteDifference, type BlobEntry, type KernelLoadReport } from '../../sim/cycle/real-blob.js';
import type { Drift } from '../../sim/linux/drift.js';
import type { KernelProfile } from '../../sim/linux/profile.js';
import { GuestModuleError } from '../guest-module/errors.js';
import { readSlot, writeSlot, type BufferList, type GuestModule } from '../guest-module/client.js';
import type { HandoverRange } from './handover.js';
import type { WriteLogEntry } from '../../sim/write-log/entry.js';
import type { QtestClient } from '../qemu/qtest.js';
import type { FunctionCapture } from './real-capture.js';
import { modelFromCapture } from './real-model.js';
import { restoreAsKernelB, saveAsKernelA } from './kernel-steps.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export interface BlobRecord {
  readonly size: number;
  readonly hex: string;
  readonly entries: readonly BlobEntry[];
}

const record = (b: Uint8Array): BlobRecord => ({ size: b.length, hex: hex(b), entries: blobEntries(b) });

export interface KernelSave {
  readonly ret: number;
  readonly stateSaved: boolean;
  readonly buffers: BufferList['buffers'];
  /** What kernel A stored, as read from its slot. */
  readonly real: BlobRecord;
  /** What the model stores from the captured state with kernel A's profile. */
  readonly model: BlobRecord | null;
  readonly differences: readonly BlobByteDifference[];
  /** The blob kernel B gets: the real one, or with --drift the real one re-encoded. */
  readonly carried: Uint8Array;
  readonly drifted: boolean;
  /** Bits kernel A saved (the model's save from the same state), for the verdicts. */
  readonly savedByOld: Uint8Array;
  /** Config writes the model's save made (pci_save_state only reads: expected none). */
  readonly modelWrites: readonly WriteLogEntry[];
}

/** Kernel A saves, stores and stashes `cap`'s device in `slot`; the host reads and compares it. */
export async function kernelSave(mod: GuestModule, qtest: QtestClient, range: HandoverRange, cap: FunctionCapture, slot: number, A: KernelProfile, drifts: readonly Drift[]): Promise<KernelSave> {
  const bdf = `0000:${cap.bdf}`;
  const ret = await mod.save(bdf);
  const stored = await mod.store(bdf);
  if (stored.ret !== 0) throw new GuestModuleError('bad-answer', `pci_store_saved_state(${bdf}) in kernel A returned NULL after pci_save_state returned ${ret}.`, { bdf, ret });
  const stash = await mod.stash(slot);
  if (stash.ret !== 0) throw new GuestModuleError('bad-answer', `the guest module could not stash ${bdf}'s blob in slot ${slot} (ret ${stash.ret}).`, { bdf, slot, ret: stash.ret });
  const list = await mod.buffers(bdf);
  const real = await readSlot(qtest, range, slot);
  if (!real || real.length !== stored.size) throw new GuestModuleError('bad-answer', `slot ${slot} does not hold the ${stored.size}-byte blob kernel A's module stashed (read ${real?.length ?? 'nothing'}).`, { slot });
  const m = modelFromCapture(cap);
  const fn = m.fn;
  const saved = await saveAsKernelA(m.access, fn, A, 'linux-blob');
  const model = { blob: saved.carried.bytes, savedByOld: saved.savedByOld, writes: saved.writes.slice(saved.saveFrom) };
  const carried = drifts.length > 0 ? driftBlob(real, A, drifts) : real;
  if (drifts.length > 0) await writeSlot(qtest, range, slot, carried);
  return {
    ret, stateSaved: list.stateSaved, buffers: list.buffers,
    real: record(real),
    model: model.blob ? record(model.blob) : null,
    differences: model.blob ? compareBlobs(real, model.blob, fn, cap.config, A) : [],
    carried, drifted: drifts.length > 0, savedByOld: model.savedByOld, modelWrites: model.writes,
  };
}

export interface KernelRestore {
  /** Kernel B's buffers before the load: what its own enumeration allocated (and saved). */
  readonly before: BufferList;
  readonly load: KernelLoadReport & { readonly model: { readonly ret: number; readonly error?: string } };
  /** The model's load outcome and restore writes on the device as kernel B found it. */
  readonly modelLoad: LoadOutcome;
  readonly restoreWrites: readonly ConfigWrite[];
  /** The model's config space after its restore: the prediction for the real final capture. */
  readonly predicted: Uint8Array;
  /** The model's pci_restore_state writes as the one write log records them. */
  readonly modelWrites: readonly WriteLogEntry[];
}

/**
 * Kernel B unstashes the slot, loads it into `mid`'s device and restores it (also after -EINVAL,
 * as the model's plain flow does: pci_restore_state then writes whatever the buffers hold).
 */
export async function kernelRestore(mod: GuestModule, mid: FunctionCapture, slot: number, A: KernelProfile, B: KernelProfile, carried: Uint8Array): Promise<KernelRestore> {
  const bdf = `0000:${mid.bdf}`;
  const un = await mod.unstash(slot);
  if (un.ret !== 0) throw new GuestModuleError('bad-answer', `kernel B's module could not take the blob from slot ${slot} (ret ${un.ret}${un.why ? `, ${un.why}` : ''}): the handover range was overwritten or the slot never written.`, { slot, ...un });
  const before = await mod.buffers(bdf);
  const ret = await mod.loadState(bdf);
  await mod.restore(bdf);

  const m = modelFromCapture(mid);
  const r = await restoreAsKernelB(m.access, m.fn, A, B, { format: 'linux-blob', bytes: carried });
  const report = kernelLoadReport(ret, carried, before.buffers.map((b) => ({ capNr: b.capNr, extended: b.extended, size: b.size })));
  return {
    before,
    load: { ...report, model: { ret: r.load.ret, ...(r.load.error ? { error: r.load.error } : {}) } },
    modelLoad: r.load,
    restoreWrites: r.restoreWrites,
    predicted: m.fn.space.snapshot(),
    modelWrites: r.log,
  };
}

/**
 * One fuzzed cycle (FuzzCase): a generated device, a kernel pair, a format, a flow, an optional
 * drift of kernel B's layouts and an optional reset in the kexec window; the batches the campaign
 * generates them in (FuzzBatch); and the one place that turns a cycle into runCycle options and
 * into the `lusim cycle` command line, so the two cannot disagree.
 */
import fc from 'fast-check';
import type { DumpDevice } from '../../devices/dump/types.js';
import { formatBdf } from '../../devices/dump/bdf.js';
import { RESET_KINDS } from '../../devices/reset/apply.js';
import type { SaveFormat } from '../cycle/carry.js';
import type { CycleOptions, Flow } from '../cycle/run.js';
import type { StartOptions } from '../cycle/start.js';
import { layoutDevice, seedDevice, type DeviceSpec } from './device.js';
import { driftChoiceArb, driftFor } from './drifts.js';

/** One fuzzed cycle: a device and the cycle options it runs with. */
export interface FuzzCase extends Pick<CycleOptions, 'from' | 'to' | 'format' | 'flow' | 'drift' | 'reset'> {
  readonly device: DeviceSpec;
}

export interface CaseSpace {
  readonly kernels: readonly string[];
  /** Kernel A's profiles, when not every one of `kernels` (--from). */
  readonly from?: readonly string[];
  /**
   * Kernel B's profiles, when not every one of `kernels` (--to): every cycle then restores with one
   * of them (without it, about a third restore with the kernel that saved).
   */
  readonly to?: readonly string[];
  readonly formats: readonly SaveFormat[];
  readonly flows: readonly Flow[];
  /** Capabilities of the seed dump that may be unlinked, when fuzzing around one (--from-dump). */
  readonly seedDroppable?: readonly number[];
}

/**
 * What varies between the cycles of one batch: kernel B, the format, B's drift and a reset in
 * the kexec window. Everything else (the device, kernel A, the flow) is kernel A's side.
 */
export type Variant = Pick<FuzzCase, 'to' | 'format' | 'drift' | 'reset'>;

/**
 * A case of the campaign: one generated device and kernel A with a flow, run under 1 to
 * BATCH_CYCLES variants. Kernel A's side (materializing the device, its enumeration, operation and
 * save) runs once and each variant finishes from the kexec (sim/cycle/start.ts): every cycle is
 * the one `runCycle` would run, at a fraction of the cost (docs/fuzz.md, Speed).
 */
export interface FuzzBatch extends Pick<FuzzCase, 'device' | 'from' | 'flow'> {
  readonly variants: readonly Variant[];
}

export const BATCH_CYCLES = 16;

export function batchArb(space: CaseSpace): fc.Arbitrary<FuzzBatch> {
  const device: fc.Arbitrary<DeviceSpec> = space.seedDroppable === undefined ? layoutDevice : seedDevice(space.seedDroppable);
  const variant = fc.record({
    // About a third of the cycles restore with the kernel that saved: the identity oracle's cycles.
    to: space.to ? fc.constantFrom(...space.to) : fc.oneof(fc.constant(undefined), fc.constantFrom(...space.kernels), fc.constantFrom(...space.kernels)),
    format: fc.constantFrom(...space.formats),
    drift: fc.option(driftChoiceArb, { nil: undefined, freq: 3 }),
    reset: fc.option(fc.constantFrom(...RESET_KINDS), { nil: undefined, freq: 2 }),
  });
  // The cycles come first: fast-check shrinks a record's values in order, so a shrink drops the
  // cycles that do not show its finding before it shrinks the device, at a cycle per candidate.
  return fc.record({
    variants: fc.array(variant, { minLength: 1, maxLength: BATCH_CYCLES, size: 'max' }),
    device,
    from: fc.constantFrom(...(space.from ?? space.kernels)),
    flow: fc.constantFrom(...space.flows),
  }).map((b) => ({
    device: b.device, from: b.from, flow: b.flow,
    variants: b.variants.map((v) => {
      const to = v.to ?? b.from;
      const drift = driftFor(v.drift, to);
      return { to, format: v.format, ...(drift ? { drift } : {}), ...(v.reset ? { reset: v.reset } : {}) };
    }),
  }));
}

/** The cycles of a batch, each as the single case `lusim cycle` reproduces. */
export function casesOf(b: FuzzBatch): FuzzCase[] {
  return b.variants.map((v) => ({ device: b.device, from: b.from, to: v.to, format: v.format, flow: b.flow, ...(v.drift ? { drift: v.drift } : {}), ...(v.reset ? { reset: v.reset } : {}) }));
}

/** A single case as a batch of one. */
export function batchOf(c: FuzzCase): FuzzBatch {
  return { device: c.device, from: c.from, flow: c.flow, variants: [{ to: c.to, format: c.format, ...(c.drift ? { drift: c.drift } : {}), ...(c.reset ? { reset: c.reset } : {}) }] };
}

/**
 * startCycle options for a batch, as `lusim cycle DUMP --as-found` builds them for each of its
 * cycles (cycleOptions): kernel A serializes the state in every format a cycle carries it in.
 */
export function startOptions(b: FuzzBatch): StartOptions {
  return { from: b.from, flow: b.flow, operational: 'as-found', formats: [...new Set(b.variants.map((v) => v.format))] };
}

/**
 * runCycle options for a case, as `lusim cycle DUMP --as-found` builds them: the generated dump
 * already is the operational state. The parent is built by the caller (a fresh function per cycle).
 */
export function cycleOptions(c: FuzzCase): CycleOptions {
  return {
    from: c.from, to: c.to, format: c.format, flow: c.flow, operational: 'as-found',
    ...(c.drift ? { drift: c.drift } : {}), ...(c.reset ? { reset: c.reset } : {}),
  };
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The `lusim cycle` command that runs the case on its dump file. */
export function cycleCommand(c: FuzzCase, dumpFile: string, device: DumpDevice): string {
  return [
    'lusim cycle', quote(dumpFile), '--device', formatBdf(device.bdf), '--from', c.from, '--to', c.to, '--format', c.format, '--flow', c.flow,
    ...(c.drift ? ['--drift', quote(c.drift)] : []), ...(c.reset ? ['--reset', c.reset] : []), '--as-found', '--json',
  ].join(' ');
}

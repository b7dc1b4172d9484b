/**
 * One fuzz case: a generated device, a kernel pair, a format, a flow, an optional drift of kernel
 * B's layouts and an optional reset in the kexec window; and the one place that turns it into
 * runCycle options and into the `lusim cycle` command line, so the two cannot disagree.
 */
import fc from 'fast-check';
import type { DumpDevice } from '../../devices/dump/types.js';
import { formatBdf } from '../../devices/dump/bdf.js';
import { RESET_KINDS } from '../../devices/reset.js';
import type { SaveFormat } from '../cycle/carry.js';
import type { CycleOptions, Flow } from '../cycle/run.js';
import { layoutDevice, seedDevice, type DeviceSpec } from './device.js';
import { driftChoiceArb, driftFor } from './drifts.js';

/** One fuzzed cycle: a device and the cycle options it runs with. */
export interface FuzzCase extends Pick<CycleOptions, 'from' | 'to' | 'format' | 'flow' | 'drift' | 'reset'> {
  readonly device: DeviceSpec;
}

export interface CaseSpace {
  readonly kernels: readonly string[];
  readonly formats: readonly SaveFormat[];
  readonly flows: readonly Flow[];
  /** Capabilities of the seed dump that may be unlinked, when fuzzing around one (--from-dump). */
  readonly seedDroppable?: readonly number[];
}

export function caseArb(space: CaseSpace): fc.Arbitrary<FuzzCase> {
  const device: fc.Arbitrary<DeviceSpec> = space.seedDroppable === undefined ? layoutDevice : seedDevice(space.seedDroppable);
  return fc.record({
    device,
    from: fc.constantFrom(...space.kernels),
    // About a third of the cases restore with the kernel that saved: the identity oracle's cases.
    to: fc.oneof(fc.constant(undefined), fc.constantFrom(...space.kernels), fc.constantFrom(...space.kernels)),
    format: fc.constantFrom(...space.formats),
    flow: fc.constantFrom(...space.flows),
    drift: fc.option(driftChoiceArb, { nil: undefined, freq: 3 }),
    reset: fc.option(fc.constantFrom(...RESET_KINDS), { nil: undefined, freq: 2 }),
  }).map((c) => {
    const drift = driftFor(c.drift, c.to ?? c.from);
    return {
      device: c.device, from: c.from, to: c.to ?? c.from, format: c.format, flow: c.flow,
      ...(drift ? { drift } : {}), ...(c.reset ? { reset: c.reset } : {}),
    };
  });
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

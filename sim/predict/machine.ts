/**
 * `lusim predict`: every function of a dump after kernel A's shutdown, the kexec and kernel B's
 * enumeration and drivers, with the topology the bus numbers show (sim/topology.ts), per register
 * with the step that changed it and whether the value can be predicted at all.
 */
import { readLE } from '../../devices/bytes.js';
import { registerLocation } from '../../devices/capability-lookup.js';
import { formatBdf, sameBdf, type Bdf } from '../../devices/dump/bdf.js';
import { capturedMask, isKnown, unknownRanges } from '../../devices/dump/known.js';
import type { DumpDevice } from '../../devices/dump/types.js';
import type { KernelProfileId } from '../linux/profile.js';
import { partialCapture } from '../partial-capture.js';
import { Topology } from '../topology.js';
import { builtinDriver } from './builtin-drivers.js';
import { modelFunction, predictAfterKexec, shutdownDriverFor, type ModelledFunction, type KexecPrediction } from './post-kexec.js';
import { unpredictableClass, type UnpredictableClass } from './unpredictable.js';

export interface MachinePredictOptions {
  readonly from: KernelProfileId;
  readonly to: KernelProfileId;
  /** Driver overrides per BDF (null: no driver); default builtinDriver for the kernel. */
  readonly driverA?: ReadonlyMap<string, string | null>;
  readonly driverB?: ReadonlyMap<string, string | null>;
  readonly preserve?: readonly Bdf[];
}

export interface RegisterPrediction {
  readonly location: string;
  readonly register: string;
  readonly offset: number;
  readonly width: number;
  /** null: a byte of the register is not in the dump, so neither value is known. */
  readonly before: number | null;
  readonly after: number | null;
  /** The kernel step that last wrote the register (null: unchanged). */
  readonly step: string | null;
  readonly predictable: boolean;
  readonly unpredictable?: UnpredictableClass;
}

export interface FunctionPrediction {
  readonly bdf: string;
  readonly driverA: string | null;
  readonly driverB: string | null;
  readonly preserved: boolean;
  readonly after: Uint8Array;
  /** Per byte of `after`: 1 if the dump captured it (devices/dump/known.ts); the rest is not predicted. */
  readonly known: Uint8Array;
  /** The byte ranges [start, end) of `after` the dump did not capture, when there are any. */
  readonly notCaptured?: readonly (readonly [number, number])[];
  /**
   * Registers whose value changes, or whose value the kernel chooses at run time, and those with an
   * uncaptured byte that a kernel step wrote (before and after null).
   */
  readonly registers: readonly RegisterPrediction[];
  readonly notes: readonly string[];
}

function driverOf(map: ReadonlyMap<string, string | null> | undefined, d: DumpDevice, k: KernelProfileId): string | null {
  const key = formatBdf(d.bdf);
  return map?.has(key) ? map.get(key)! : builtinDriver(d.bytes, k);
}

/**
 * A virtio class driver named as the driver (virtio_net, virtio_blk, ...) means virtio-pci with
 * that class driver above it; `virtio-pci` alone (the built-in default: class drivers are modules
 * in the cloud kernels) means the transport without one.
 */
function pciDriver(name: string | null): { driver: string | null; virtioClass: boolean } {
  if (name !== null && /^virtio_/.test(name) && name !== 'virtio_pci') return { driver: 'virtio-pci', virtioClass: true };
  return { driver: name === 'virtio_pci' ? 'virtio-pci' : name, virtioClass: false };
}

/**
 * Whether the model has steps of this driver's own (a ->shutdown, or a probe beyond the generic
 * one: pcieport's services, nvme's and virtio-pci's vectors); any other name binds as a generic
 * driver (driverProbe: pci_enable_device, pci_set_master, MSI-X or MSI) with no ->shutdown.
 */
export function isModelledDriver(name: string): boolean {
  return shutdownDriverFor(pciDriver(name).driver) !== 'none';
}

/** The kernel step that last wrote a byte of `reg` (null: none did). */
function lastStep(writes: readonly { readonly offset: number; readonly width: number; readonly step: string }[], reg: { readonly offset: number; readonly width: number }): string | null {
  for (let i = writes.length - 1; i >= 0; i--) {
    const w = writes[i]!;
    if (w.offset < reg.offset + reg.width && reg.offset < w.offset + w.width) return w.step;
  }
  return null;
}

/**
 * The registers worth showing: those whose value changes or that the kernel chooses at run time,
 * and those with an uncaptured byte that a kernel step wrote (their values unknown).
 */
function registerPredictions(m: ModelledFunction, before: Uint8Array, pred: KexecPrediction, known: Uint8Array): RegisterPrediction[] {
  const registers: RegisterPrediction[] = [];
  for (const reg of m.fn.space.layout.registers) {
    const step = lastStep(pred.attributed, reg);
    const place = { location: registerLocation(m.fn, reg.offset), register: reg.name, offset: reg.offset, width: reg.width };
    // The model read an uncaptured byte as 0: what it computed there is no prediction.
    if (!isKnown(known, reg.offset, reg.width)) {
      if (step !== null) registers.push({ ...place, before: null, after: null, step, predictable: false });
      continue;
    }
    const was = readLE(before, reg.offset, reg.width);
    const after = readLE(pred.config, reg.offset, reg.width);
    const cls = unpredictableClass(reg.name, pred.config, reg.offset, { before });
    if (was === after && !cls) continue;
    registers.push({ ...place, before: was, after, step, predictable: !cls, ...(cls ? { unpredictable: cls } : {}) });
  }
  return registers;
}

export async function predictMachine(devices: readonly DumpDevice[], o: MachinePredictOptions): Promise<FunctionPrediction[]> {
  const topology = new Topology(devices);
  const driversB = new Map(devices.map((d) => [formatBdf(d.bdf), pciDriver(driverOf(o.driverB, d, o.to))]));
  const below = (d: DumpDevice): boolean => topology.place(d.bdf).children.some((c) => driversB.get(formatBdf(c.bdf))?.driver != null || below(c.dump));
  const out: FunctionPrediction[] = [];
  for (const d of devices) {
    const m = modelFunction(d);
    const driverA = pciDriver(driverOf(o.driverA, d, o.from)).driver;
    const b = driversB.get(formatBdf(d.bdf))!;
    const driverB = b.driver;
    const preserved = (o.preserve ?? []).some((p) => sameBdf(p, d.bdf));
    const pred = await predictAfterKexec(m, { from: o.from, to: o.to, driverA, driverB, preserved, enabledBelow: topology.place(d.bdf).node.isBridge && below(d), virtioClassDriverB: b.virtioClass });
    const known = capturedMask(d, pred.config.length);
    const gaps = unknownRanges(known, known.length);
    // What the kernels do with a capability the dump lacks (portdrv's AER service, say) is missing too.
    const partial = partialCapture(m.fn);
    const notes = partial ? [`${partial}. Capabilities the dump does not hold are not modelled, nor what the kernels do with them, and registers with uncaptured bytes are not predicted`, ...pred.notes] : pred.notes;
    out.push({ bdf: formatBdf(d.bdf), driverA, driverB, preserved, after: pred.config, known, ...(gaps.length ? { notCaptured: gaps } : {}), registers: registerPredictions(m, d.bytes, pred, known), notes });
  }
  return out;
}

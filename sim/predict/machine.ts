/**
 * `lusim predict`: every function of a dump after kernel A's shutdown, the kexec and kernel B's
 * enumeration and drivers, with the topology the bus numbers show (sim/topology.ts), per register
 * with the step that changed it and whether the value can be predicted at all.
 */
import { readLE } from '../../devices/bytes.js';
import { registerLocation } from '../../devices/capability-lookup.js';
import { formatBdf, sameBdf, type Bdf } from '../../devices/dump/bdf.js';
import type { DumpDevice } from '../../devices/dump/types.js';
import type { KernelProfileId } from '../linux/profile.js';
import { Topology } from '../topology.js';
import { builtinDriver } from './builtin-drivers.js';
import { modelFunction, predictAfterKexec } from './post-kexec.js';
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
  readonly before: number;
  readonly after: number;
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
  /** Registers whose value changes, or whose value the kernel chooses at run time. */
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
    const registers: RegisterPrediction[] = [];
    for (const reg of m.fn.space.layout.registers) {
      const before = readLE(d.bytes, reg.offset, reg.width);
      const after = readLE(pred.config, reg.offset, reg.width);
      const cls = unpredictableClass(reg.name, pred.config, reg.offset, { before: d.bytes });
      if (before === after && !cls) continue;
      const last = [...pred.attributed].reverse().find((w) => w.offset < reg.offset + reg.width && reg.offset < w.offset + w.width);
      registers.push({ location: registerLocation(m.fn, reg.offset), register: reg.name, offset: reg.offset, width: reg.width, before, after, step: last?.step ?? null, predictable: !cls, ...(cls ? { unpredictable: cls } : {}) });
    }
    out.push({ bdf: formatBdf(d.bdf), driverA, driverB, preserved, after: pred.config, registers, notes: pred.notes });
  }
  return out;
}

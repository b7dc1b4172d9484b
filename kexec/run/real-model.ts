/**
 * The model's side of a real run: a modelled function built from a host-side capture (the QEMU 7.2
 * 'auto' profile, MSI-X table and PBA as captured), the model's prediction of the state after a
 * real kexec, and the register-by-register comparison of a prediction with a real capture.
 *
 * The prediction itself is sim/predict/post-kexec.ts (what `lusim predict` prints); Debian's
 * kernels have no Live Update, so nothing is preserved in a real run.
 */
import { readLE } from '../../devices/bytes.js';
import { registerLocation } from '../../devices/capability-lookup.js';
import type { PciFunction } from '../../devices/device.js';
import { devfnOf, parseBdf } from '../../devices/dump/bdf.js';
import type { KernelProfileId } from '../../sim/linux/profile.js';
import { DEFAULT_PLATFORM, kernelRemove, removeAboveWalk, removeWalksBelow, type BelowBridge, type PlatformOptions } from '../../sim/kexec-sim/index.js';
import { pcieDownstreamPort } from '../../sim/kexec-sim/dev.js';
import { portType } from '../../sim/cycle/upstream.js';
import { WriteLog } from '../../sim/write-log/write-log.js';
import { modelFunction, predictAfterKexec, shutdownDriverFor, type KexecPrediction, type ModelledFunction, type PostKexecOptions } from '../../sim/predict/post-kexec.js';
import type { FunctionCapture } from './real-capture.js';

export { shutdownDriverFor, type KexecPrediction, type ModelledFunction } from '../../sim/predict/post-kexec.js';

/** A model of the captured function, MSI-X table included when it was readable. */
export function modelFromCapture(cap: FunctionCapture): ModelledFunction {
  const tables = cap.msix?.table && cap.msix.pba ? { tableBytes: cap.msix.table, pbaBytes: cap.msix.pba } : undefined;
  return modelFunction({ bdf: parseBdf(cap.bdf), bytes: cap.config }, tables, cap.qemuProps);
}

export type PredictOptions = PostKexecOptions;

/**
 * What kernel B's enumeration of a function reads above it, when its port is captured: a port that
 * is not the upstream end of a link (pcie_downstream_port: a switch's Upstream Port) has no link
 * for pcie_aspm_configure_common_clock; otherwise the default q35 port above.
 */
export function platformUnder(parent: FunctionCapture | undefined): Partial<PlatformOptions> | undefined {
  if (!parent) return undefined;
  return pcieDownstreamPort(portType(modelFromCapture(parent).fn)) ? undefined : { upstream: { ...DEFAULT_PLATFORM.upstream!, link: undefined } };
}

/**
 * Whether a port above `f`, bound to pcieport in `kernel` (`driverOf`), walks the bus below it:
 * v6.1 aer_enable_rootport when it binds and aer_remove when it goes (sim/kexec-sim
 * removeWalksBelow). device_shutdown runs the children first, so at kernel A's shutdown the walk
 * comes last in `f`'s phase; at kernel B's boot, after `f`'s enumeration and before its driver.
 */
export async function walkedFromAbove(functions: readonly FunctionCapture[], f: FunctionCapture, kernel: KernelProfileId, driverOf: (bdf: string) => string | null): Promise<boolean> {
  const byId = new Map(functions.map((x) => [x.id, x]));
  for (let up = f.parent === undefined ? undefined : byId.get(f.parent); up; up = up.parent === undefined ? undefined : byId.get(up.parent)) {
    if (driverOf(up.bdf) === 'pcieport' && (await removeWalksBelow(modelFromCapture(up).access, kernel))) return true;
  }
  return false;
}

/**
 * The first function kernel B's scan finds on `bridge`'s secondary bus (the lowest devfn among the
 * captured functions below it), for the bus scan's writes to the bridge (sim/kexec-sim kernelScanBridge).
 */
export function functionBelow(functions: readonly FunctionCapture[], bridge: FunctionCapture): BelowBridge | undefined {
  const devfn = (f: FunctionCapture) => devfnOf(parseBdf(f.bdf));
  const first = functions.filter((f) => f.parent === bridge.id).sort((x, y) => devfn(x) - devfn(y))[0];
  return first ? { access: modelFromCapture(first).access, devfn: devfn(first) } : undefined;
}

export async function predictPostKexec(cap: FunctionCapture, o: PredictOptions): Promise<KexecPrediction> {
  return predictAfterKexec(modelFromCapture(cap), o);
}

/**
 * The model's prediction of unbinding kernel B's driver (sysfs unbind -> the driver's ->remove).
 * Modelled by sim/kexec-sim kernelRemove. `rootPortAbove`: a Root Port above the function was
 * unbound in the same step, before or after it, and its ->remove walked its bus (v6.1
 * aer_disable_rootport: removeWalksBelow). The run compares this with the real state after the unbind.
 */
export async function predictUnbind(cap: FunctionCapture, o: { kernel: KernelProfileId; driver: string | null; rootPortAbove?: 'before' | 'after' }): Promise<KexecPrediction> {
  const m = modelFromCapture(cap);
  const log = new WriteLog();
  if (o.rootPortAbove === 'before') await removeAboveWalk(m.access, undefined, log);
  await kernelRemove(m.access, { driver: shutdownDriverFor(o.driver), kernel: o.kernel }, log);
  if (o.rootPortAbove === 'after') await removeAboveWalk(m.access, undefined, log);
  return {
    config: m.fn.space.snapshot(),
    msixTable: m.msix?.table.snapshot(),
    steps: log.writes.map((w) => `${w.fn}@0x${w.offset.toString(16)}`),
    writes: log.writes,
    attributed: log.writes.filter((w) => w.space === 'config').map((w) => ({ step: w.fn, offset: w.offset, width: w.width })),
    notes: [`unbind ${o.driver ?? '(no driver)'}: its ->remove (sim/kexec-sim kernelRemove)${o.rootPortAbove ? `; the Root Port above was unbound ${o.rootPortAbove} it and walked its bus` : ''}`, ...log.notes.map((n) => `${n.step}: ${n.why}`)],
  };
}

/**
 * For each function unbound in order (`unbound`: qdev ids, kernel B's drivers), whether a Root
 * Port above it whose ->remove walks its bus was unbound before or after it.
 */
export async function rootPortsAbove(functions: readonly FunctionCapture[], unbound: readonly string[], kernel: KernelProfileId): Promise<Map<string, 'before' | 'after'>> {
  const byId = new Map(functions.map((f) => [f.id, f]));
  const walkers = new Set<string>();
  for (const id of unbound) if (await removeWalksBelow(modelFromCapture(byId.get(id)!).access, kernel)) walkers.add(id);
  const out = new Map<string, 'before' | 'after'>();
  unbound.forEach((id, at) => {
    for (let up = byId.get(id)?.parent; up !== undefined; up = byId.get(up)?.parent) {
      if (walkers.has(up)) { out.set(id, unbound.indexOf(up) < at ? 'before' : 'after'); return; }
    }
  });
  return out;
}

export interface RegisterDiff {
  /** Capability key or 'header'; 'unclaimed' for bytes no register of the model covers. */
  readonly location: string;
  readonly register: string;
  readonly offset: number;
  readonly width: number;
  /** Before the kexec (the step-1 capture). */
  readonly captured: number;
  readonly predicted: number;
  readonly real: number;
}

/**
 * Every register (and every unclaimed dword) where `predicted` and `real` differ; `skipped`
 * offsets (not captured) are left out.
 */
export function diffRegisters(fn: PciFunction, captured: Uint8Array, predicted: Uint8Array, real: Uint8Array, skipped: readonly number[] = []): RegisterDiff[] {
  const out: RegisterDiff[] = [];
  const skip = (o: number) => skipped.some((s) => o >= s && o < s + 4);
  for (const reg of fn.space.layout.registers) {
    if (skip(reg.offset)) continue;
    const p = readLE(predicted, reg.offset, reg.width);
    const r = readLE(real, reg.offset, reg.width);
    if (p !== r) out.push({ location: registerLocation(fn, reg.offset), register: reg.name, offset: reg.offset, width: reg.width, captured: readLE(captured, reg.offset, reg.width), predicted: p, real: r });
  }
  const at = fn.space.layout.registerAt;
  for (let o = 0; o < Math.min(predicted.length, real.length); o += 4) {
    if (skip(o) || [0, 1, 2, 3].some((i) => at[o + i] !== undefined)) continue;
    const p = readLE(predicted, o, 4);
    const r = readLE(real, o, 4);
    if (p !== r) out.push({ location: 'unclaimed', register: 'unclaimed', offset: o, width: 4, captured: readLE(captured, o, 4), predicted: p, real: r });
  }
  return out.sort((a, b) => a.offset - b.offset);
}

/** Whether a function below `bridgeId` (by the captures' parent links) has a driver bound. */
export function driverBelow(functions: readonly { id: string; bdf: string; parent?: string }[], bridgeId: string, driverOf: (bdf: string) => string | null): boolean {
  const below = (id: string): boolean => functions.some((f) => f.parent === id && (driverOf(f.bdf) !== null || below(f.id)));
  return below(bridgeId);
}

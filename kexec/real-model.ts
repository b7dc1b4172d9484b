/**
 * The model's side of a real run: a modelled function built from a host-side capture (the QEMU 7.2
 * 'auto' profile, MSI-X table and PBA as captured), the model's prediction of the state after a
 * real kexec, and the register-by-register comparison of a prediction with a real capture.
 *
 * What the prediction covers: kernel A's shutdown (the bound driver's ->shutdown, then
 * pci_device_shutdown's bus-master clear: Debian's kernels have no Live Update, so nothing is
 * preserved), kernel B's enumeration (sim/kexec-sim simulateKexec), and, when kernel B bound a
 * driver before its agent answered, that driver's probe (sim/kexec-sim driverConfigure with
 * kernel B: pci_enable_device, pci_set_master, MSI-X/MSI set-up). driverConfigure also replays the
 * firmware's settings (COMMAND IO|MEMORY|SERR, ASPM, AER masks); kexec runs no firmware, but those
 * values were already in place before kernel A, so replaying them changes nothing unless kernel A
 * changed them.
 */
import type { FunctionAccess } from '../devices/access.js';
import { readLE } from '../devices/bytes.js';
import { registerLocation } from '../devices/capability-lookup.js';
import { buildFunction, type PciFunction } from '../devices/device.js';
import { parseBdf } from '../devices/dump/bdf.js';
import { MsixBarModel, msixGeometry } from '../devices/msix-table.js';
import { profileForDump } from '../devices/profiles/index.js';
import type { KernelProfileId } from '../sim/linux/profile.js';
import { driverConfigure, kernelRemove, simulateKexec, type ShutdownDriver } from '../sim/kexec-sim/index.js';
import type { FunctionCapture } from './real-capture.js';

/** Linux driver names (sysfs driver link) to the ->shutdown the model knows. */
export function shutdownDriverFor(driver: string | null): ShutdownDriver {
  switch (driver) {
    case 'nvme': return 'nvme';
    case 'e1000e': return 'e1000e';
    case 'virtio-pci': return 'virtio';
    case 'xhci_hcd': return 'xhci';
    case 'pcieport': return 'pcieport';
    default: return 'none';
  }
}

export interface ModelledFunction {
  readonly fn: PciFunction;
  readonly access: FunctionAccess;
  readonly msix: MsixBarModel | undefined;
}

/** A model of the captured function, MSI-X table included when it was readable. */
export function modelFromCapture(cap: FunctionCapture): ModelledFunction {
  const dump = { bdf: parseBdf(cap.bdf), bytes: cap.config };
  const fn = buildFunction(dump, profileForDump(dump, 'auto'));
  let msix: MsixBarModel | undefined;
  if (cap.msix) {
    const s = fn.space;
    const g = msixGeometry(s.read(cap.msix.cap + 2, 2), s.read(cap.msix.cap + 4, 4), s.read(cap.msix.cap + 8, 4));
    msix = new MsixBarModel(g, cap.msix.table && cap.msix.pba ? { tableBytes: cap.msix.table, pbaBytes: cap.msix.pba } : {});
  }
  return { fn, access: msix ? { config: fn.space.access(), bars: msix } : { config: fn.space.access() }, msix };
}

export interface KexecPrediction {
  readonly config: Uint8Array;
  readonly msixTable: Uint8Array | undefined;
  /** Kernel functions the prediction ran, in order, with the registers they wrote. */
  readonly steps: readonly string[];
  readonly notes: readonly string[];
}

export interface PredictOptions {
  readonly from: KernelProfileId;
  readonly to: KernelProfileId;
  /** Drivers bound (sysfs) in kernel A before the kexec and in kernel B when its agent answered. */
  readonly driverA: string | null;
  readonly driverB: string | null;
}

export async function predictPostKexec(cap: FunctionCapture, o: PredictOptions): Promise<KexecPrediction> {
  const m = modelFromCapture(cap);
  const log = await simulateKexec(m.access, { preserved: false, driver: shutdownDriverFor(o.driverA), from: o.from, to: o.to });
  const steps = log.writes.map((w) => `${w.step}@0x${w.offset.toString(16)}`);
  const notes = log.notes.map((n) => `${n.step}: ${n.why}`);
  if (o.driverB) {
    const probe = await driverConfigure(m.access, { kernel: o.to, driver: o.driverB === 'pcieport' ? 'pcieport' : 'other' });
    steps.push(...probe.log.writes.map((w) => `${o.driverB}:${w.step}@0x${w.offset.toString(16)}`));
    notes.push(`kernel B bound ${o.driverB}: its probe modelled by driverConfigure (${probe.irq}, ${probe.vectors.length} vectors)`);
  }
  return { config: m.fn.space.snapshot(), msixTable: m.msix?.table.snapshot(), steps, notes };
}

/**
 * The model's prediction of unbinding kernel B's driver (sysfs unbind -> the driver's ->remove).
 * Modelled by the same driver's ->shutdown path (sim/kexec-sim kernelShutdown, with no kexec
 * bus-master clear): the drivers modelled there free their IRQ vectors and disable the device on
 * both paths. The run compares this with the real state after the unbind.
 */
export async function predictUnbind(cap: FunctionCapture, o: { kernel: KernelProfileId; driver: string | null }): Promise<KexecPrediction> {
  const m = modelFromCapture(cap);
  const log = await kernelRemove(m.access, { driver: shutdownDriverFor(o.driver), kernel: o.kernel });
  return {
    config: m.fn.space.snapshot(),
    msixTable: m.msix?.table.snapshot(),
    steps: log.writes.map((w) => `${w.step}@0x${w.offset.toString(16)}`),
    notes: [`unbind ${o.driver ?? '(no driver)'}: its ->remove (sim/kexec-sim kernelRemove)`, ...log.notes.map((n) => `${n.step}: ${n.why}`)],
  };
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

/**
 * `lusim cycle`: save -> serialize -> kexec -> deserialize -> restore on a modelled device, then a
 * field-by-field account of what came back wrong and why (issue 4, "The cycle").
 *
 * Flows:
 *   plain      kernel A's pci_save_state on the operational device; the state crosses the kexec in
 *              the chosen format; kernel B loads it and runs pci_restore_state (preserved device).
 *   rfc-2025   VFIO Live Update RFC (Oct 2025): A's vfio open-time pci_saved_state is carried; B's
 *              vfio_pci_core_enable skips reset/save and uses it; B's close (vfio_pci_core_disable)
 *              loads it, resets if reset_works, restores.
 *   lu-series  The later series: A's freeze loads the open-time state, resets and restores in the old
 *              kernel; nothing is carried; B inherits reset_works and saves what it finds.
 *   vfio       No Live Update: VFIO owns the device in A, the device is not preserved, B re-opens and
 *              closes it (vfio_pci_core_enable/_disable) with its own reset_works.
 * For the VFIO flows the reference state is the device as A's vfio open left it (what its saved
 * state describes); for plain it is the operational state.
 */
import type { FunctionAccess } from '../../devices/access.js';
import type { PciFunction } from '../../devices/device.js';
import type { ResetKind } from '../../devices/reset.js';
import { applyReset } from '../../devices/reset.js';
import { applyDrift, parseDrift } from '../linux/drift.js';
import { allocateSaveBuffers } from '../linux/alloc.js';
import { newPciDev, type PciDev } from '../linux/dev.js';
import { pciSetupDevice } from '../linux/find-cap.js';
import { kernelProfile } from '../linux/profiles.js';
import type { KernelProfile } from '../linux/profile.js';
import { pciRestoreState } from '../linux/restore.js';
import { pciBusAddDevice, pciSaveState } from '../linux/save.js';
import type { WriteLog } from '../linux/write-log.js';
import { driverConfigure, simulateKexec, type ShutdownDriver, type StepLog } from '../kexec-sim/index.js';
import { pciLoadSavedState, serializeLinuxBlob } from '../formats/linux-blob.js';
import { loadCarried, serializeSaved, type Carried, type SaveFormat } from './carry.js';
import { classifyCycle, countVerdicts, type ConfigWrite, type LocatedRegister } from './classify.js';
import { modelUnderTest } from './model-access.js';
import { attributeRestoreWrites, savedBits, type BufferFill } from './provenance.js';
import type { FieldOutcome, Verdict } from './verdict.js';
import { predictFor, resetLocked } from './reset-path.js';
import { guestConfigure } from './guest.js';
import { vfioPciCoreDisable, vfioPciCoreEnable } from './vfio.js';
import type { MsiVector } from '../kexec-sim/irq.js';

export type Flow = 'plain' | 'rfc-2025' | 'lu-series' | 'vfio';
export const FLOWS: readonly Flow[] = ['plain', 'rfc-2025', 'lu-series', 'vfio'];

export interface CycleOptions {
  readonly from: string;
  readonly to: string;
  readonly format: SaveFormat;
  readonly flow: Flow;
  /** Layout drift applied to kernel B (sim/linux/drift.ts syntax). */
  readonly drift?: string;
  /** A reset during the kexec window (platform reset between the kernels). */
  readonly reset?: ResetKind;
  /** The device is preserved (bus master kept at shutdown). Default: true except for the vfio flow. */
  readonly preserved?: boolean;
  /** The driver bound in kernel A whose ->shutdown runs. Default: none for a preserved device, else chosen from the vendor:device. */
  readonly driver?: ShutdownDriver;
  readonly barSizes?: readonly (number | undefined)[];
  /**
   * How the device reaches its operational state before kernel A saves (plain flow):
   *   'driver'     firmware, kernel A's enumeration, then a driver configures it (default);
   *   'enumerated' firmware and kernel A's enumeration only: no driver binds (Debian's cloud
   *                kernels have no e1000e driver);
   *   'as-found'   the dump already is the operational state (captured from a running system).
   */
  readonly operational?: 'driver' | 'enumerated' | 'as-found';
  /** Extra configuration after the driver's (plain flow) or the guest's (VFIO flows), before the save. */
  readonly operate?: (access: FunctionAccess) => Promise<void>;
}

export interface TimelineEntry {
  readonly phase: 'enumerate A' | 'operate' | 'save A' | 'kexec' | 'enumerate B' | 'restore B';
  readonly step: string;
  readonly offset: number;
  readonly width: number;
  readonly value: number;
  readonly space: 'config' | 'bar';
}

export interface CycleResult {
  readonly bdf: string;
  readonly profile: string;
  readonly options: Required<Pick<CycleOptions, 'from' | 'to' | 'format' | 'flow'>> & { drift?: string; reset?: ResetKind; preserved: boolean; driver: ShutdownDriver };
  readonly kernels: { readonly from: string; readonly to: string };
  readonly reference: 'operational' | 'vfio-open';
  readonly carried: { readonly format: SaveFormat | 'none'; readonly bytes: number | null };
  readonly load: { readonly ret: number; readonly error?: string };
  readonly resetWorks?: { readonly old: boolean; readonly new: boolean };
  readonly fields: readonly FieldOutcome[];
  readonly counts: Record<Verdict, number>;
  readonly notes: readonly string[];
  readonly timeline: readonly TimelineEntry[];
}

/** The driver whose ->shutdown kernel A runs, from the IDs (sim/kexec-sim/shutdown.ts models these). */
export function defaultDriver(fn: PciFunction): ShutdownDriver {
  const id = `${fn.space.read(0, 2).toString(16).padStart(4, '0')}:${fn.space.read(2, 2).toString(16).padStart(4, '0')}`;
  if (id === '8086:10d3') return 'e1000e';
  if (id === '1b36:0010' || (fn.space.read(0x08, 4) >>> 8) === 0x010802) return 'nvme';
  if (id.startsWith('1af4:')) return 'virtio';
  if ((fn.space.read(0x08, 4) >>> 8) === 0x0c0330) return 'xhci';
  return 'none';
}

function locatedRegisters(fn: PciFunction): LocatedRegister[] {
  const owner = (off: number) => fn.walk.capabilities.find((c) => !c.overlaps && off >= c.offset && off < c.offset + c.size)?.key ?? 'header';
  return fn.space.layout.registers.map((register) => ({ register, location: register.offset < 0x40 ? 'header' : owner(register.offset) }));
}

function stepWrites(log: StepLog): ConfigWrite[] {
  return log.writes.filter((w) => w.space === 'config').map((w) => ({ step: w.step, offset: w.offset, width: w.width }));
}

function traceWrites(log: WriteLog): ConfigWrite[] {
  return log.filter((w) => w.space === 'config' && w.target === 'dev').map((w) => ({ step: w.step, offset: w.offset, width: w.width }));
}

function msixKernelState(dev: PciDev, vectors: readonly MsiVector[], fn: PciFunction): void {
  const cap = fn.walk.capabilities.find((c) => !c.extended && c.id === 0x11 && !c.overlaps);
  if (!cap || vectors.length === 0) return;
  const table = fn.space.read(cap.offset + 4, 4);
  dev.kernel.msix = {
    cap: cap.offset, tableBar: table & 7, tableOffset: table & ~7, canMask: true,
    descs: vectors.map((v) => ({ addressLo: v.addressLo, addressHi: v.addressHi, data: v.data, index: v.index, msixCtrl: 0 })),
  };
}

export async function runCycle(fn: PciFunction, opts: CycleOptions): Promise<CycleResult> {
  const A = kernelProfile(opts.from);
  const drifts = opts.drift ? parseDrift(opts.drift) : [];
  const B: KernelProfile = applyDrift(kernelProfile(opts.to), drifts);
  const flow = opts.flow;
  const preserved = opts.preserved ?? flow !== 'vfio';
  // A preserved device's driver hands it over instead of shutting it down (LUO freeze); only a
  // device that is not preserved sees its driver's ->shutdown (pci_device_shutdown).
  const driver = opts.driver ?? (flow === 'plain' && !preserved ? defaultDriver(fn) : 'none');
  const mut = modelUnderTest(fn);
  const notes: string[] = [];
  const timeline: TimelineEntry[] = [];
  const trace = (phase: TimelineEntry['phase'], log: WriteLog) => {
    for (const w of log) if (w.target === 'dev') timeline.push({ phase, step: w.step, offset: w.offset, width: w.width, value: w.value, space: w.space });
  };
  const steps = (phase: TimelineEntry['phase'], log: StepLog) => {
    for (const w of log.writes) timeline.push({ phase, step: w.step, offset: w.offset, width: w.width, value: w.value, space: w.space });
    for (const n of log.notes) notes.push(`${n.step}: ${n.why}`);
  };

  // Kernel A enumerates the device (buffers allocated; 6.12.y+ also saves at pci_bus_add_device).
  const devA = newPciDev(mut.access, { name: 'dev' });
  await pciSetupDevice(devA);
  await allocateSaveBuffers(A, devA);
  await pciBusAddDevice(A, devA);
  trace('enumerate A', devA.tracer.log);
  let mark = devA.tracer.log.length;

  let carried: Carried | null = null;
  let reference: Uint8Array;
  let savedByOld: Uint8Array;
  let resetWorksOld: boolean | undefined;
  const kexecWrites: ConfigWrite[] = [];

  if (flow === 'plain') {
    if (opts.operational === 'as-found') {
      notes.push('operational state: the dump as found (no firmware, enumeration or driver modelled before the save)');
    } else {
      const op = await driverConfigure(mut.access, { kernel: A.id, ...(opts.barSizes ? { barSizes: opts.barSizes } : {}), ...(opts.operational === 'enumerated' ? { bindDriver: false } : {}) });
      steps('operate', op.log);
      msixKernelState(devA, op.vectors, fn);
    }
    if (opts.operate) await opts.operate(mut.access);
    reference = fn.space.snapshot();
    await pciSaveState(A, devA);
    trace('save A', devA.tracer.log.slice(mark));
    savedByOld = savedBits(fn, A, devA.saved);
    carried = serializeSaved(opts.format, fn, A, devA.saved);
  } else {
    // Firmware and kernel A's enumeration (a host driver binds and releases it as vfio-pci takes
    // over: INTx mode, nothing left programmed), then VFIO owns the device: open (reset + save),
    // then the guest drives it.
    const boot = await driverConfigure(mut.access, { kernel: A.id, irq: 'intx', ...(opts.barSizes ? { barSizes: opts.barSizes } : {}) });
    steps('operate', boot.log);
    const open = await vfioPciCoreEnable(A, devA, fn);
    notes.push(...open.notes);
    resetWorksOld = open.resetWorks;
    trace('operate', devA.tracer.log.slice(mark));
    mark = devA.tracer.log.length;
    reference = fn.space.snapshot();
    savedByOld = savedBits(fn, A, devA.saved);
    if (flow === 'rfc-2025') {
      carried = open.savedState ? (opts.format === 'linux-blob' ? { format: 'linux-blob', bytes: serializeLinuxBlob(open.savedState) } : serializeSaved('lusim-v1', fn, A, devA.saved)) : { format: opts.format, bytes: null };
    }
    const guest = await guestConfigure(mut.access);
    steps('operate', guest.log);
    if (opts.operate) await opts.operate(mut.access);
    if (flow === 'lu-series') {
      // freeze(): pci_load_saved_state(open-time state), reset if reset_works, pci_restore_state, in kernel A.
      const from = devA.tracer.log.length;
      await devA.tracer.run('vfio_pci_liveupdate_freeze', async () => {
        const res = pciLoadSavedState(devA.saved, open.savedState);
        if (res.ret !== 0) notes.push(`freeze: pci_load_saved_state ${res.ret}`);
        if (open.resetWorks) {
          resetLocked(fn, predictFor(fn, A.id).lockedResetMethod, notes);
        }
        await pciRestoreState(A, devA);
      });
      trace('save A', devA.tracer.log.slice(from));
      kexecWrites.push(...traceWrites(devA.tracer.log.slice(from)));
    }
  }

  // The kexec: A's shutdown, an optional platform reset, B's enumeration side effects.
  const kx = await simulateKexec(mut.access, { preserved, driver, from: A.id, to: B.id }, {
    ...(opts.reset ? { betweenKernels: async () => { const r = applyReset(fn, opts.reset!); notes.push(`${opts.reset} reset during the kexec (${fn.profile.personality}): ${r.fields.filter((f) => f.changed).length} fields changed`); } } : {}),
  });
  steps('kexec', kx);
  kexecWrites.push(...stepWrites(kx));

  // Kernel B enumerates: its own buffers (and its own save at pci_bus_add_device, 6.12.y+).
  const devB = newPciDev(mut.access, { name: 'dev' });
  await pciSetupDevice(devB);
  await allocateSaveBuffers(B, devB);
  await pciBusAddDevice(B, devB);
  trace('enumerate B', devB.tracer.log);
  kexecWrites.push(...traceWrites(devB.tracer.log));
  const mid = fn.space.snapshot();
  const markB = devB.tracer.log.length;

  let load: { ret: number; error?: string } = { ret: 0 };
  let fills: ReadonlyMap<string, BufferFill> = new Map();
  let resetWorksNew: boolean | undefined;
  if (flow === 'plain') {
    const out = await loadCarried(carried!, fn, B, devB.saved, mut.access.config);
    load = out.error ? { ret: out.ret, error: out.error } : { ret: out.ret };
    fills = out.fills;
    notes.push(...out.notes);
    await pciRestoreState(B, devB);
  } else if (flow === 'rfc-2025') {
    const open = await vfioPciCoreEnable(B, devB, fn, { liveupdateRestore: { resetWorks: resetWorksOld!, savedState: null } });
    notes.push(...open.notes);
    resetWorksNew = open.resetWorks;
    notes.push(...(await vfioPciCoreDisable(B, devB, fn, open, async () => {
      const out = await loadCarried(carried!, fn, B, devB.saved, mut.access.config);
      fills = out.fills;
      notes.push(...out.notes);
      load = out.error ? { ret: out.ret, error: out.error } : { ret: out.ret };
      return load;
    })));
  } else if (flow === 'lu-series') {
    const open = await vfioPciCoreEnable(B, devB, fn, { liveupdateRestore: { resetWorks: resetWorksOld!, savedState: null } });
    notes.push(...open.notes);
    resetWorksNew = open.resetWorks;
    await pciSaveState(B, devB);
  } else {
    const open = await vfioPciCoreEnable(B, devB, fn);
    notes.push(...open.notes);
    resetWorksNew = open.resetWorks;
    notes.push(...(await vfioPciCoreDisable(B, devB, fn, open)));
  }
  if (B.l1ss === 'link' || B.l1ss === 'link+parent') {
    if (fn.walk.capabilities.some((c) => c.extended && c.id === 0x1e && !c.overlaps)) {
      notes.push(`model limit: ${B.id}'s pci_restore_aspm_l1ss_state restores L1SS only from the downstream end of a link whose upstream port also has L1SS (pcie/aspm.c); the cycle models the device without its upstream port, so L1SS is not restored here`);
    }
  }
  const restoreLog = devB.tracer.log.slice(markB);
  trace('restore B', restoreLog);
  // Only plain and rfc-2025 restore a state carried from kernel A; the others restore B's own save.
  const carriedRestored = (flow === 'plain' || flow === 'rfc-2025') && load.ret === 0;
  const restoreWrites = attributeRestoreWrites(fn, A, B, restoreLog, fills, carriedRestored);
  const after = fn.space.snapshot();

  const fields = classifyCycle({
    registers: locatedRegisters(fn), masks: fn.space.layout.masks,
    before: reference, mid, after, kexecWrites, restoreWrites, savedByOld,
    ...(load.error ? { refused: load.error } : {}),
    oldKernel: A.id, newKernel: drifts.length ? `${B.id}+drift` : B.id,
  });
  return {
    bdf: `${fn.bdf.bus.toString(16).padStart(2, '0')}:${fn.bdf.device.toString(16).padStart(2, '0')}.${fn.bdf.fn}`,
    profile: fn.profile.name,
    options: { from: A.id, to: B.id, format: opts.format, flow, preserved, driver, ...(opts.drift ? { drift: opts.drift } : {}), ...(opts.reset ? { reset: opts.reset } : {}) },
    kernels: { from: A.description, to: B.description },
    reference: flow === 'plain' ? 'operational' : 'vfio-open',
    carried: { format: carried ? carried.format : 'none', bytes: carried?.bytes ? carried.bytes.length : null },
    load,
    ...(resetWorksOld !== undefined || resetWorksNew !== undefined ? { resetWorks: { old: resetWorksOld ?? false, new: resetWorksNew ?? false } } : {}),
    fields,
    counts: countVerdicts(fields),
    notes,
    timeline,
  };
}

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
 *   vfio-lu    The VFIO series v5: A's freeze() refuses with interrupts still enabled or outside D0,
 *              else loads the open-time state, clears bus master, resets only when reset_works and
 *              restores (sim/cycle/vfio-lu.ts); only the device's identity crosses; B saves what
 *              it finds and decides reset_works itself (v5 carries none).
 *   vfio       No Live Update: VFIO owns the device in A, the device is not preserved, B re-opens and
 *              closes it (vfio_pci_core_enable/_disable) with its own reset_works.
 * For the VFIO flows the reference state is the device as A's vfio open left it (what its saved
 * state describes); for plain it is the operational state.
 *
 * With `parent`, the device's upstream port is modelled too (sim/cycle/upstream.ts): each kernel
 * enumerates it before the device, kernel B's restore of the device writes it (L1SS, LTR), its
 * Secondary Bus Reset resets the device (devices/reset-hooks.ts connectSecondaryBus), and its
 * fields are judged with the device's. Without it the device is modelled alone.
 */
import type { FunctionAccess, Width } from '../../devices/access.js';
import { capabilityById } from '../../devices/capability-lookup.js';
import type { PciFunction } from '../../devices/device.js';
import { formatBdf } from '../../devices/dump/bdf.js';
import type { ResetKind } from '../../devices/reset.js';
import { applyReset } from '../../devices/reset.js';
import { connectSecondaryBus } from '../../devices/reset-hooks.js';
import { PCI_BRIDGE_CONTROL, PCI_BRIDGE_CTL_BUS_RESET, PCI_CAP_ID_MSIX, PCI_EXT_CAP_ID_L1SS } from '../../devices/pci-regs.js';
import { applyDrift, parseDrift } from '../linux/drift.js';
import { allocateSaveBuffers } from '../linux/alloc.js';
import { newPciDev, type PciDev } from '../linux/dev.js';
import { pciSetupDevice } from '../linux/find-cap.js';
import { pciIovInit } from '../linux/iov.js';
import { pcieDownstreamPort } from '../linux/pcie-access.js';
import { kernelProfile } from '../linux/profiles.js';
import type { KernelConfig, KernelProfile } from '../linux/profile.js';
import { pciRestoreState } from '../linux/restore.js';
import { pciBusAddDevice, pciSaveState } from '../linux/save.js';
import type { WriteLogEntry } from '../write-log/entry.js';
import { WriteLog } from '../write-log/write-log.js';
import { driverConfigure, kernelEnumerate, kernelShutdown, type ShutdownDriver } from '../kexec-sim/index.js';
import { pciLoadSavedState, serializeLinuxBlob } from '../formats/linux-blob.js';
import { loadCarried, serializeSaved, type Carried, type SaveFormat } from './carry.js';
import { classifyCycle, countVerdicts, locatedRegisters, type ConfigWrite, type LocatedRegister } from './classify.js';
import { modelUnderTest } from './model-access.js';
import { attributeRestoreWrites, savedBits, type BufferFill } from './provenance.js';
import type { CycleFunction, FieldOutcome, Verdict } from './verdict.js';
import { enumeratePort, platformAbove, platformBelow } from './upstream.js';
import { predictFor, resetLocked } from './reset-path.js';
import { guestConfigure } from './guest.js';
import { vfioPciCoreDisable, vfioPciCoreEnable } from './vfio.js';
import type { MsiVector } from '../kexec-sim/irq.js';
import { checkHandover } from '../linux/handover-abi.js';
import { vfioPciLiveupdateFreeze, type FreezeConditions, type FreezeGate } from './vfio-lu.js';

export type Flow = 'plain' | 'rfc-2025' | 'lu-series' | 'vfio-lu' | 'vfio';
export const FLOWS: readonly Flow[] = ['plain', 'rfc-2025', 'lu-series', 'vfio-lu', 'vfio'];

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
  /** The upstream port (dev->bus->self), modelled with the device; undefined: the device alone. */
  readonly parent?: PciFunction;
  /** Extra configuration of the upstream port, with `operate`. */
  readonly operateParent?: (access: FunctionAccess) => Promise<void>;
  /**
   * How the state crosses the kexec: 'memmap' (default) a reserved range, as lusim's real run does
   * with Debian kernels (no compatible strings; for vfio-lu the series is taken as applied to both
   * kernels); 'luo' through LUO (a memfd in a session, or the vfio-pci file and the pci FLB for
   * vfio-lu), refused as kernel B refuses strings it does not speak (sim/linux/handover-abi.ts).
   */
  readonly handover?: 'memmap' | 'luo';
  /** Kconfig of both kernels (sim/linux/kconfig.ts applyKconfig), replacing Debian's. */
  readonly kconfig?: Partial<KernelConfig>;
  /** Kconfig of kernel A / B alone (a user's build: its own .config), in place of `kconfig` for that side. */
  readonly kconfigFrom?: Partial<KernelConfig>;
  readonly kconfigTo?: Partial<KernelConfig>;
  /** vfio-lu: what userspace left behind at the kexec (interrupts still on, D3hot). */
  readonly freeze?: FreezeConditions;
  /**
   * Whether the platform has an IOMMU (default false), one assumption for both kernels and every
   * step: pci_request_acs sets pci_acs_enable, which pci_enable_acs / pci_std_enable_acs read at
   * enumeration and pci_restore_acs_state at restore.
   */
  readonly iommu?: boolean;
}

/**
 * One write of the cycle, in order. Phases: 'enumerate A' (the port's firmware and enumeration,
 * the device's pci_device_add), 'operate' (firmware, kernel A's enumeration and driver or VFIO
 * and its guest), 'save A', 'kexec' (kernel A's shutdown and a reset during the kexec),
 * 'enumerate B' (kernel B's enumeration), 'restore B'. sim/cycle/write-phases.ts groups them into
 * the phases a real run can tell apart.
 */
export interface TimelineEntry {
  readonly phase: 'enumerate A' | 'operate' | 'save A' | 'kexec' | 'enumerate B' | 'restore B';
  readonly target: CycleFunction;
  readonly step: string;
  readonly offset: number;
  readonly width: Width;
  readonly value: number;
  readonly space: 'config' | 'bar';
  /** BAR index of a space === 'bar' write. */
  readonly bar?: number;
}

export interface CycleResult {
  readonly bdf: string;
  readonly profile: string;
  /** The modelled upstream port, if any. */
  readonly parent?: { readonly bdf: string; readonly profile: string };
  readonly options: Required<Pick<CycleOptions, 'from' | 'to' | 'format' | 'flow'>> & { drift?: string; reset?: ResetKind; preserved: boolean; driver: ShutdownDriver };
  readonly kernels: { readonly from: string; readonly to: string };
  readonly reference: 'operational' | 'vfio-open';
  readonly carried: { readonly format: SaveFormat | 'none'; readonly bytes: number | null };
  readonly load: { readonly ret: number; readonly error?: string };
  readonly resetWorks?: { readonly old: boolean; readonly new: boolean };
  /** --handover luo: the strings kernel A wrote and kernel B's verdict on them. */
  readonly handover?: { readonly route: 'luo'; readonly written: readonly string[]; readonly ok: boolean };
  /** vfio-lu: each check of kernel A's freeze(), in order. */
  readonly freeze?: readonly FreezeGate[];
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

const bdfOf = (fn: PciFunction) => formatBdf(fn.bdf);

function configWrites(log: readonly WriteLogEntry[], target: CycleFunction = 'dev'): ConfigWrite[] {
  return log.filter((w) => w.space === 'config' && w.device === target).map((w) => ({ step: w.fn, offset: w.offset, width: w.width }));
}

function msixKernelState(dev: PciDev, vectors: readonly MsiVector[], fn: PciFunction): void {
  const cap = capabilityById(fn, PCI_CAP_ID_MSIX, false);
  if (!cap || vectors.length === 0) return;
  const table = fn.space.read(cap.offset + 4, 4);
  dev.kernel.msix = {
    cap: cap.offset, tableBar: table & 7, tableOffset: table & ~7, canMask: true,
    descs: vectors.map((v) => ({ addressLo: v.addressLo, addressHi: v.addressHi, data: v.data, index: v.index, msixCtrl: 0 })),
  };
}

export async function runCycle(fn: PciFunction, opts: CycleOptions): Promise<CycleResult> {
  const A = kernelProfile(opts.from, opts.kconfigFrom ?? opts.kconfig);
  const drifts = opts.drift ? parseDrift(opts.drift) : [];
  const B: KernelProfile = applyDrift(kernelProfile(opts.to, opts.kconfigTo ?? opts.kconfig), drifts);
  const flow = opts.flow;
  const preserved = opts.preserved ?? flow !== 'vfio';
  // A preserved device's driver hands it over instead of shutting it down (LUO freeze); only a
  // device that is not preserved sees its driver's ->shutdown (pci_device_shutdown).
  const driver = opts.driver ?? (flow === 'plain' && !preserved ? defaultDriver(fn) : 'none');
  const mut = modelUnderTest(fn);
  const up = opts.parent ? modelUnderTest(opts.parent) : undefined;
  if (opts.parent) connectSecondaryBus(opts.parent, [fn]);
  const notes: string[] = [];
  const iommu = opts.iommu ?? false;
  notes.push(iommu ? 'IOMMU present (--iommu on): pci_acs_enable set, ACS enabled at enumeration and restore' : 'no IOMMU (--iommu off, the default): pci_acs_enable clear in both kernels');
  const partial = fn.walk.findings.filter((f) => f.code === 'partial-capture' || f.code === 'missing-bytes' || f.code === 'not-captured');
  if (partial.length > 0) notes.push(`${partial.map((f) => f.message).join('; ')}. Capabilities the dump does not hold are not modelled (neither saved nor restored here), and fields with uncaptured bytes are unknown`);
  const timeline: TimelineEntry[] = [];
  const trace = (phase: TimelineEntry['phase'], log: readonly WriteLogEntry[]) => {
    for (const w of log) timeline.push({ phase, target: w.device === 'parent' ? 'parent' : 'dev', step: w.fn, offset: w.offset, width: w.width, value: w.value, space: w.space, ...(w.bar === undefined ? {} : { bar: w.bar }) });
  };
  // The port's own step notes (firmware, enumeration) are left out: its writes are in the timeline.
  const steps = (phase: TimelineEntry['phase'], log: WriteLog, withNotes = true) => {
    trace(phase, log.writes);
    if (withNotes) for (const n of log.notes) notes.push(`${n.step}: ${n.why}`);
  };
  /** Config writes to the port after its reference snapshot (the kexec, B's enumeration). */
  const parentKexecWrites: ConfigWrite[] = [];

  // Kernel A enumerates the port (firmware, enumeration, pcie_portdrv_probe's save), then the
  // device below it (buffers allocated; 6.12.y+ also saves at pci_bus_add_device).
  let portA: PciDev | undefined;
  if (up) {
    steps('enumerate A', (await driverConfigure(up.access, { kernel: A.id, bindDriver: false, platform: { ...platformAbove(up.fn), iommu } }, new WriteLog(), 'parent')).log, false);
    portA = await enumeratePort(A, up.access, up.fn, iommu);
  }
  const below = { platform: { ...(up ? platformBelow(up.fn) : {}), iommu } };
  const devA = newPciDev(mut.access, { name: 'dev', kernel: { acsEnable: iommu }, ...(portA ? { parent: portA } : {}) });
  await pciSetupDevice(devA);
  await allocateSaveBuffers(A, devA);
  await pciBusAddDevice(A, devA);
  trace('enumerate A', devA.log.writes);
  let mark = devA.log.writes.length;

  let carried: Carried | null = null;
  let reference: Uint8Array;
  let savedByOld: Uint8Array;
  let parentReference: Uint8Array | undefined;
  let resetWorksOld: boolean | undefined;
  let freezeGates: readonly FreezeGate[] | undefined;
  const kexecWrites: ConfigWrite[] = [];

  if (flow === 'plain') {
    if (opts.operational === 'as-found') {
      notes.push('operational state: the dump as found (no firmware, enumeration or driver modelled before the save)');
    } else {
      // A virtio device's driver takes its vectors as vp_find_vqs does (MSI-X only with 2 or more entries).
      const virtio = defaultDriver(fn) === 'virtio' ? { driver: 'virtio' as const } : {};
      const op = await driverConfigure(mut.access, { kernel: A.id, ...below, ...virtio, ...(opts.barSizes ? { barSizes: opts.barSizes } : {}), ...(opts.operational === 'enumerated' ? { bindDriver: false } : {}) });
      steps('operate', op.log);
      msixKernelState(devA, op.vectors, fn);
    }
    if (opts.operate) await opts.operate(mut.access);
    if (up && opts.operateParent) await opts.operateParent(up.access);
    reference = fn.space.snapshot();
    parentReference = up?.fn.space.snapshot();
    await pciSaveState(A, devA);
    trace('save A', devA.log.writes.slice(mark));
    savedByOld = savedBits(fn, A, devA.saved);
    carried = serializeSaved(opts.format, fn, A, devA.saved);
  } else {
    // Firmware and kernel A's enumeration (a host driver binds and releases it as vfio-pci takes
    // over: INTx mode, nothing left programmed), then VFIO owns the device: open (reset + save),
    // then the guest drives it.
    const boot = await driverConfigure(mut.access, { kernel: A.id, irq: 'intx', ...below, ...(opts.barSizes ? { barSizes: opts.barSizes } : {}) });
    steps('operate', boot.log);
    const open = await vfioPciCoreEnable(A, devA, fn);
    notes.push(...open.notes);
    resetWorksOld = open.resetWorks;
    trace('operate', devA.log.writes.slice(mark));
    mark = devA.log.writes.length;
    reference = fn.space.snapshot();
    parentReference = up?.fn.space.snapshot();
    savedByOld = savedBits(fn, A, devA.saved);
    if (flow === 'rfc-2025') {
      carried = open.savedState ? (opts.format === 'linux-blob' ? { format: 'linux-blob', bytes: serializeLinuxBlob(open.savedState) } : serializeSaved('lusim-v1', fn, A, devA.saved)) : { format: opts.format, bytes: null };
    }
    const guest = await guestConfigure(mut.access);
    steps('operate', guest.log);
    if (opts.operate) await opts.operate(mut.access);
    if (up && opts.operateParent) await opts.operateParent(up.access);
    if (flow === 'lu-series') {
      // freeze(): pci_load_saved_state(open-time state), reset if reset_works, pci_restore_state, in kernel A.
      const from = devA.log.writes.length;
      await devA.log.run('vfio_pci_liveupdate_freeze', async () => {
        const res = pciLoadSavedState(devA.saved, open.savedState);
        if (res.ret !== 0) notes.push(`freeze: pci_load_saved_state ${res.ret}`);
        if (open.resetWorks) {
          resetLocked(fn, predictFor(fn, A.id).lockedResetMethod, notes);
        }
        await pciRestoreState(A, devA);
      });
      trace('save A', devA.log.writes.slice(from));
      kexecWrites.push(...configWrites(devA.log.since(from)));
      parentKexecWrites.push(...configWrites(devA.log.since(from), 'parent'));
    }
    if (flow === 'vfio-lu') {
      const from = devA.log.writes.length;
      const frozen = await vfioPciLiveupdateFreeze(A, devA, fn, mut.access, open, opts.freeze ?? {}, notes);
      freezeGates = frozen.gates;
      steps('operate', frozen.userspace);
      trace('save A', devA.log.writes.slice(from));
      kexecWrites.push(...configWrites(devA.log.since(from)));
      if (!frozen.ok) {
        const gate = frozen.gates.find((g) => g.verdict === 'refused')!;
        return {
          bdf: bdfOf(fn), profile: fn.profile.name,
          ...(up ? { parent: { bdf: bdfOf(up.fn), profile: up.fn.profile.name } } : {}),
          options: { from: A.id, to: B.id, format: opts.format, flow, preserved, driver },
          kernels: { from: A.description, to: B.description }, reference: 'vfio-open',
          carried: { format: 'none', bytes: null },
          load: { ret: -22, error: `freeze refused at "${gate.gate}": ${gate.why}; no kexec happened` },
          resetWorks: { old: resetWorksOld!, new: false }, freeze: frozen.gates,
          fields: [], counts: countVerdicts([]), notes, timeline,
        };
      }
    }
  }

  // The kexec: A's shutdown of the device (the port's driver shutdown is not modelled), an
  // optional reset, then kernel B's enumeration side effects: the port's first, then the device's.
  const shutdown = await kernelShutdown(mut.access, { driver, preserved, from: A.id, ...below });
  steps('kexec', shutdown);
  kexecWrites.push(...configWrites(shutdown.writes));
  if (opts.reset === 'bus' && up) {
    // Delivered as the kernel delivers a hot reset: pci_reset_secondary_bus on the port above.
    const port = newPciDev(up.access, { name: 'parent' });
    const before = fn.space.snapshot();
    await port.log.run('pci_reset_secondary_bus', () => pciResetSecondaryBus(port));
    trace('kexec', port.log.writes);
    parentKexecWrites.push(...configWrites(port.log.writes, 'parent'));
    const after = fn.space.snapshot();
    const changed = after.reduce((n, b, i) => n + (b !== before[i] ? 1 : 0), 0);
    notes.push(`bus reset during the kexec: pci_reset_secondary_bus on the upstream port ${bdfOf(up.fn)} (BRIDGE_CONTROL Secondary Bus Reset 0 -> 1 -> 0) hot-reset the device (${fn.profile.personality}): ${changed} config bytes changed`);
  } else if (opts.reset) {
    const r = applyReset(fn, opts.reset);
    notes.push(`${opts.reset} reset during the kexec (${fn.profile.personality}): ${r.changedFields} fields changed${up ? '; applied to the device only, the upstream port is not reset' : ''}`);
  }
  if (up) {
    const portEnum = await kernelEnumerate(up.access, B.id, { ...platformAbove(up.fn), iommu }, new WriteLog(), 'parent');
    steps('enumerate B', portEnum, false);
    parentKexecWrites.push(...configWrites(portEnum.writes, 'parent'));
  }
  const enumB = await kernelEnumerate(mut.access, B.id, below.platform);
  steps('enumerate B', enumB);
  kexecWrites.push(...configWrites(enumB.writes));

  // Kernel B enumerates the port (its own buffers and saves: nothing of the port is carried,
  // linux-pci.md section 10), then the device: its own buffers (and its own save at
  // pci_bus_add_device, 6.12.y+; v6.19+ that save also refreshes the port's L1SS buffer).
  const portB = up ? await enumeratePort(B, up.access, up.fn, iommu) : undefined;
  const devB = newPciDev(mut.access, { name: 'dev', kernel: { acsEnable: iommu }, ...(portB ? { parent: portB } : {}) });
  await pciSetupDevice(devB);
  await allocateSaveBuffers(B, devB);
  await pciIovInit(devB);
  await pciBusAddDevice(B, devB);
  trace('enumerate B', devB.log.writes);
  kexecWrites.push(...configWrites(devB.log.writes));
  parentKexecWrites.push(...configWrites(devB.log.writes, 'parent'));
  const mid = fn.space.snapshot();
  const parentMid = up?.fn.space.snapshot();
  const markB = devB.log.writes.length;

  let load: { ret: number; error?: string } = { ret: 0 };
  let fills: ReadonlyMap<string, BufferFill> = new Map();
  let resetWorksNew: boolean | undefined;
  // Through LUO, kernel B first decides whether it speaks what kernel A wrote; if not, nothing
  // handed over is adopted and no restore of the carried state runs.
  const carriesState = flow === 'plain' || flow === 'rfc-2025' || flow === 'vfio-lu';
  const handover = opts.handover === 'luo' && carriesState ? checkHandover(A.id, B.id, flow === 'vfio-lu' ? 'vfio-pci' : 'memfd', { from: A.kconfig, to: B.kconfig }) : undefined;
  if (handover?.refusal) {
    const r = handover.refusal;
    load = { ret: r.ret, error: r.side === 'A' ? `no handover: ${A.id}'s ${r.step}: ${r.message}` : `handover refused by ${B.id}'s ${r.step}: ${r.message}` };
    notes.push(`LUO handover: kernel A wrote ${handover.written.join(', ') || 'nothing'}`);
  } else if (flow === 'plain') {
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
  } else if (flow === 'vfio-lu') {
    // v5 carries no reset_works: kernel B decides it from its own reset methods, without resetting
    // the incoming device at open.
    const own = predictFor(fn, B.id).lockedResetMethod !== null;
    const open = await vfioPciCoreEnable(B, devB, fn, { liveupdateRestore: { resetWorks: own, savedState: null } });
    notes.push(...open.notes.map((n) => n.replace('inherited', `from ${B.id}'s own reset methods (v5 carries none)`)));
    resetWorksNew = open.resetWorks;
    await pciSaveState(B, devB);
  } else {
    const open = await vfioPciCoreEnable(B, devB, fn);
    notes.push(...open.notes);
    resetWorksNew = open.resetWorks;
    notes.push(...(await vfioPciCoreDisable(B, devB, fn, open)));
  }
  notes.push(...l1ssNotes(fn, up?.fn, B, devB));
  const restoreLog = devB.log.writes.slice(markB);
  trace('restore B', restoreLog);
  // Only plain and rfc-2025 restore a state carried from kernel A; the others restore B's own save.
  const carriedRestored = (flow === 'plain' || flow === 'rfc-2025') && load.ret === 0 && !load.error;
  const restoreWrites = attributeRestoreWrites(fn, A, B, restoreLog, fills, carriedRestored);
  const after = fn.space.snapshot();
  const newKernel = drifts.length ? `${B.id}+drift` : B.id;

  const devFields = classifyCycle({
    registers: locatedRegisters(fn), masks: fn.space.layout.masks,
    before: reference, mid, after, kexecWrites, restoreWrites, savedByOld, known: fn.known,
    ...(load.error ? { refused: load.error } : {}),
    oldKernel: A.id, newKernel,
  });
  // The port: kernel B restores it only from buffers B filled itself, so nothing A saved of it counts.
  const fields = up ? [...devFields, ...classifyCycle({
    function: 'parent',
    registers: locatedRegisters(up.fn), masks: up.fn.space.layout.masks,
    before: parentReference!, mid: parentMid!, after: up.fn.space.snapshot(),
    kexecWrites: parentKexecWrites, restoreWrites: attributeRestoreWrites(up.fn, A, B, restoreLog, new Map(), false, 'parent'),
    savedByOld: new Uint8Array(up.fn.space.size), known: up.fn.known,
    notCarried: `the upstream port's state is not carried: the PCI Live Update series preserves a bridge's identity and bus numbers only (linux-pci.md section 10), and ${newKernel}'s restore of the device did not write this back`,
    oldKernel: A.id, newKernel,
  })] : devFields;
  return {
    bdf: bdfOf(fn),
    profile: fn.profile.name,
    ...(up ? { parent: { bdf: bdfOf(up.fn), profile: up.fn.profile.name } } : {}),
    options: { from: A.id, to: B.id, format: opts.format, flow, preserved, driver, ...(opts.drift ? { drift: opts.drift } : {}), ...(opts.reset ? { reset: opts.reset } : {}) },
    kernels: { from: A.description, to: B.description },
    reference: flow === 'plain' ? 'operational' : 'vfio-open',
    carried: { format: carried ? carried.format : 'none', bytes: carried?.bytes ? carried.bytes.length : null },
    load,
    ...(resetWorksOld !== undefined || resetWorksNew !== undefined ? { resetWorks: { old: resetWorksOld ?? false, new: resetWorksNew ?? false } } : {}),
    ...(freezeGates ? { freeze: freezeGates } : {}),
    ...(handover ? { handover: { route: 'luo' as const, written: handover.written, ok: handover.ok } } : {}),
    fields,
    counts: countVerdicts(fields),
    notes,
    timeline,
  };
}

/** pci.c pci_reset_secondary_bus: set Secondary Bus Reset, wait (msleep(2): Trst), clear it. */
async function pciResetSecondaryBus(port: PciDev): Promise<void> {
  const ctrl = await port.access.config.readw(PCI_BRIDGE_CONTROL);
  await port.access.config.writew(PCI_BRIDGE_CONTROL, ctrl | PCI_BRIDGE_CTL_BUS_RESET);
  await port.access.config.writew(PCI_BRIDGE_CONTROL, ctrl & ~PCI_BRIDGE_CTL_BUS_RESET & 0xffff);
}

const hasL1ss = (fn: PciFunction) => capabilityById(fn, PCI_EXT_CAP_ID_L1SS, true) !== undefined;

/**
 * Why kernel B's pcie/aspm.c pci_restore_aspm_l1ss_state (v6.12+) leaves a device's L1SS alone:
 * it acts only from the downstream end of a link whose upstream port also has L1SS.
 */
function l1ssNotes(fn: PciFunction, parent: PciFunction | undefined, B: KernelProfile, dev: PciDev): string[] {
  if ((B.l1ss !== 'link' && B.l1ss !== 'link+parent') || !hasL1ss(fn)) return [];
  // The restore's own test (sim/linux/restore.ts): it acts from the upstream-facing end of a link only.
  if (pcieDownstreamPort(dev)) return [`${B.id}'s pci_restore_aspm_l1ss_state does nothing: ${bdfOf(fn)} is a downstream port, and the restore runs only from the downstream component of a link, programming both ends (pcie_downstream_port(pdev) returns, pcie/aspm.c)`];
  if (!parent) return [`model limit: ${B.id}'s pci_restore_aspm_l1ss_state restores L1SS only from the downstream end of a link whose upstream port also has L1SS (pcie/aspm.c); the cycle models the device without its upstream port (--parent none), so L1SS is not restored here`];
  if (!hasL1ss(parent)) return [`${B.id}'s pci_restore_aspm_l1ss_state does nothing: the upstream port ${bdfOf(parent)} has no L1SS capability (parent->l1ss is 0, pcie/aspm.c)`];
  return [];
}

/**
 * The first half of a cycle: everything kernel A does, up to the kexec (sim/cycle/run.ts has
 * the flows). Kernel B's side (sim/cycle/finish.ts) reads only what this returns and the bytes,
 * and the bytes are the only state of a modelled function (devices/config-space.ts), so one start
 * can be finished several times, each finish from the bytes as the start left them: a fuzz batch
 * (sim/fuzz/campaign.ts) runs one device and kernel A under many kernels B, formats, drifts and
 * resets. `runCycle` is one start and one finish.
 */
import { capabilityById } from '../../devices/capability-lookup.js';
import type { PciFunction } from '../../devices/device.js';
import { connectSecondaryBus } from '../../devices/reset/hooks.js';
import { PCI_CAP_ID_MSIX } from '../../devices/pci-regs.js';
import { allocateSaveBuffers } from '../linux/alloc.js';
import { newPciDev, type PciDev } from '../linux/dev.js';
import { pciSetupDevice } from '../linux/find-cap.js';
import { kernelProfile } from '../linux/profiles.js';
import type { KernelProfile } from '../linux/profile.js';
import { pciRestoreState } from '../linux/restore.js';
import { pciBusAddDevice, pciSaveState } from '../linux/save.js';
import { WriteLog } from '../write-log/write-log.js';
import { driverConfigure, kernelShutdown, type PlatformOptions, type ShutdownDriver } from '../kexec-sim/index.js';
import type { MsiVector } from '../kexec-sim/irq.js';
import { pciLoadSavedState, serializeLinuxBlob } from '../formats/linux-blob.js';
import { serializeSaved, type Carried, type SaveFormat } from './carry.js';
import { locatedRegisters, type ConfigWrite, type LocatedRegister } from './classify.js';
import { modelUnderTest, type ModelUnderTest } from './model-access.js';
import { savedBits } from './provenance.js';
import { enumeratePort, functionBelowPort, platformAbove, platformBelow } from './upstream.js';
import { predictFor, resetLocked } from './reset-path.js';
import { guestConfigure } from './guest.js';
import { vfioPciCoreEnable } from './vfio.js';
import { vfioPciLiveupdateFreeze, type FreezeGate } from './vfio-lu.js';
import { CycleTrace, configWrites } from './trace.js';
import type { CycleOptions, Flow } from './run.js';
import { partialCycleNote } from '../partial-capture.js';

/** The driver whose ->shutdown kernel A runs, from the IDs (sim/kexec-sim/shutdown.ts models these). */
function defaultDriver(fn: PciFunction): ShutdownDriver {
  const id = `${fn.space.read(0, 2).toString(16).padStart(4, '0')}:${fn.space.read(2, 2).toString(16).padStart(4, '0')}`;
  if (id === '8086:10d3') return 'e1000e';
  if (id === '1b36:0010' || (fn.space.read(0x08, 4) >>> 8) === 0x010802) return 'nvme';
  if (id.startsWith('1af4:')) return 'virtio';
  if ((fn.space.read(0x08, 4) >>> 8) === 0x0c0330) return 'xhci';
  return 'none';
}

/** The options kernel A's side reads; kernel B's (to, drift, reset, handover, kconfigTo) wait for the finish. */
export type StartOptions = Omit<CycleOptions, 'to' | 'format' | 'drift' | 'reset' | 'handover' | 'kconfigTo'> & {
  /** The formats the finishes may carry the state in: kernel A serializes it in each. */
  readonly formats: readonly SaveFormat[];
};

/** The bytes at the kexec (the device, its port, the MSI-X table and PBA): each finish starts from them. */
interface ForkBytes {
  readonly dev: Uint8Array;
  readonly parent?: Uint8Array;
  readonly msixTable?: Uint8Array;
  readonly msixPba?: Uint8Array;
}

export interface CycleStart {
  readonly fn: PciFunction;
  readonly A: KernelProfile;
  readonly flow: Flow;
  readonly preserved: boolean;
  readonly driver: ShutdownDriver;
  readonly iommu: boolean;
  readonly mut: ModelUnderTest;
  readonly up?: ModelUnderTest;
  /** The platform below the port (or of a device alone). */
  readonly below: { readonly platform: Partial<PlatformOptions> };
  readonly trace: CycleTrace;
  /** The reference state (operational, or as A's vfio open left it) of the device and its port. */
  readonly reference: Uint8Array;
  readonly parentReference?: Uint8Array;
  /** Per byte: the bits kernel A's pci_save_state captured. */
  readonly savedByOld: Uint8Array;
  /** What A hands over, per format (plain, rfc-2025); undefined for the flows that carry nothing. */
  readonly carried?: ReadonlyMap<SaveFormat, Carried>;
  readonly resetWorksOld?: boolean;
  /** vfio-lu: each check of kernel A's freeze(); one refused means no kexec happens. */
  readonly freezeGates?: readonly FreezeGate[];
  /** Config writes between A's save and the kexec (the freeze of lu-series and vfio-lu), then A's shutdown of the device. */
  readonly kexecWrites: readonly ConfigWrite[];
  readonly parentKexecWrites: readonly ConfigWrite[];
  readonly fork: ForkBytes;
  /**
   * The device's and the port's registers with where they live, located once for every finish
   * (the classifier keeps its compiled form of a register list per list: sim/cycle/classify.ts).
   */
  readonly registers: { readonly dev: readonly LocatedRegister[]; readonly parent?: readonly LocatedRegister[] };
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

/** Operational state, kernel A's save and, for the VFIO flows, its open, guest and freeze. */
export async function startCycle(fn: PciFunction, opts: StartOptions): Promise<CycleStart> {
  const A = kernelProfile(opts.from, opts.kconfigFrom ?? opts.kconfig);
  const flow = opts.flow;
  const preserved = opts.preserved ?? flow !== 'vfio';
  // A preserved device's driver hands it over instead of shutting it down (LUO freeze); only a
  // device that is not preserved sees its driver's ->shutdown (pci_device_shutdown).
  const driver = opts.driver ?? (flow === 'plain' && !preserved ? defaultDriver(fn) : 'none');
  const mut = modelUnderTest(fn);
  const up = opts.parent ? modelUnderTest(opts.parent) : undefined;
  if (opts.parent) connectSecondaryBus(opts.parent, [fn]);
  const t = new CycleTrace();
  const iommu = opts.iommu ?? false;
  t.notes.push(iommu ? 'IOMMU present (--iommu on): pci_acs_enable set, ACS enabled at enumeration and restore' : 'no IOMMU (--iommu off, the default): pci_acs_enable clear in both kernels');
  const partial = partialCycleNote(fn, 'here');
  if (partial) t.notes.push(partial);
  const { devA, below } = await enumerateA(A, mut, up, iommu, t);
  const registers = { dev: locatedRegisters(fn), ...(up ? { parent: locatedRegisters(up.fn) } : {}) };
  const base: StartBase = { fn, A, flow, preserved, driver, iommu, mut, ...(up ? { up } : {}), below, trace: t, kexecWrites: [], parentKexecWrites: [], registers };
  const ctx: StartContext = { base, opts, devA, mark: devA.log.writes.length };
  return flow === 'plain' ? startPlain(ctx) : startVfio(ctx);
}

/** What every start shares, before kernel A's save; its write lists fill as A's side runs. */
type StartBase = Omit<CycleStart, 'reference' | 'parentReference' | 'savedByOld' | 'carried' | 'resetWorksOld' | 'freezeGates' | 'fork'> & {
  readonly kexecWrites: ConfigWrite[];
  readonly parentKexecWrites: ConfigWrite[];
};

interface StartContext {
  readonly base: StartBase;
  readonly opts: StartOptions;
  /** Kernel A's pci_dev of the device, and how many writes its log held after enumeration. */
  readonly devA: PciDev;
  readonly mark: number;
}

/**
 * Kernel A enumerates the port (firmware, enumeration, pcie_portdrv_probe's save), then the
 * device below it (buffers allocated; 6.12.y+ also saves at pci_bus_add_device). The platform
 * below the port is read as the port's enumeration left it.
 */
async function enumerateA(A: KernelProfile, mut: ModelUnderTest, up: ModelUnderTest | undefined, iommu: boolean, t: CycleTrace): Promise<{ devA: PciDev; below: CycleStart['below'] }> {
  let portA: PciDev | undefined;
  if (up) {
    t.steps('enumerate A', (await driverConfigure(up.access, { kernel: A.id, bindDriver: false, platform: { ...platformAbove(up.fn), iommu }, below: functionBelowPort(mut) }, new WriteLog(), 'parent')).log, false);
    portA = await enumeratePort(A, up.access, up.fn, iommu);
  }
  const below = { platform: { ...(up ? platformBelow(up.fn) : {}), iommu } };
  const devA = newPciDev(mut.access, { name: 'dev', kernel: { acsEnable: iommu }, ...(portA ? { parent: portA } : {}) });
  await pciSetupDevice(devA);
  await allocateSaveBuffers(A, devA);
  await pciBusAddDevice(A, devA);
  t.trace('enumerate A', devA.log.writes);
  return { devA, below };
}

/**
 * The kexec's first step, kernel A's shutdown of the device (the port's driver shutdown is not
 * modelled), is the same for every finish: it runs once here, unless a freeze check refused (then
 * no kexec happens), and the fork holds the bytes it left; finish.ts goes on from there.
 */
async function fork(b: StartBase, gates?: readonly FreezeGate[]): Promise<ForkBytes> {
  const { fn, mut, up } = b;
  if (!gates?.some((g) => g.verdict === 'refused')) {
    const shutdown = await kernelShutdown(mut.access, { driver: b.driver, preserved: b.preserved, from: b.A.id, ...b.below });
    b.trace.steps('kexec', shutdown);
    b.kexecWrites.push(...configWrites(shutdown.writes));
  }
  return {
    dev: fn.space.snapshot(),
    ...(up ? { parent: up.fn.space.snapshot() } : {}),
    ...(mut.msix ? { msixTable: mut.msix.table.snapshot(), msixPba: mut.msix.pba.snapshot() } : {}),
  };
}

/** The caller's own operation of the device and its port (a test's writes), after the driver's. */
async function operate({ base, opts }: StartContext): Promise<void> {
  if (opts.operate) await opts.operate(base.mut.access);
  if (base.up && opts.operateParent) await opts.operateParent(base.up.access);
}

/** The plain flow: the operational state (firmware, enumeration, driver), then A's pci_save_state. */
async function startPlain(ctx: StartContext): Promise<CycleStart> {
  const { base, opts, devA } = ctx;
  const { fn, A, mut, up, trace: t } = base;
  if (opts.operational === 'as-found') {
    t.notes.push('operational state: the dump as found (no firmware, enumeration or driver modelled before the save)');
  } else {
    // A virtio device's driver takes its vectors as vp_find_vqs does (MSI-X only with 2 or more entries).
    const virtio = defaultDriver(fn) === 'virtio' ? { driver: 'virtio' as const } : {};
    const op = await driverConfigure(mut.access, { kernel: A.id, ...base.below, ...virtio, ...(opts.barSizes ? { barSizes: opts.barSizes } : {}), ...(opts.operational === 'enumerated' ? { bindDriver: false } : {}) });
    t.steps('operate', op.log);
    msixKernelState(devA, op.vectors, fn);
  }
  await operate(ctx);
  const reference = fn.space.snapshot();
  const parentReference = up?.fn.space.snapshot();
  await pciSaveState(A, devA);
  t.trace('save A', devA.log.writes.slice(ctx.mark));
  const savedByOld = savedBits(fn, A, devA.saved);
  const carried = new Map(opts.formats.map((format) => [format, serializeSaved(format, fn, A, devA.saved)] as const));
  return { ...base, reference, ...(parentReference ? { parentReference } : {}), savedByOld, carried, fork: await fork(base) };
}

/**
 * The VFIO flows: firmware and kernel A's enumeration (a host driver binds and releases it as
 * vfio-pci takes over: INTx mode, nothing left programmed), then VFIO owns the device: open
 * (reset + save), then the guest drives it; lu-series and vfio-lu then freeze it for the kexec.
 */
async function startVfio(ctx: StartContext): Promise<CycleStart> {
  const { base, opts, devA } = ctx;
  const { fn, A, flow, mut, up, trace: t } = base;
  const boot = await driverConfigure(mut.access, { kernel: A.id, irq: 'intx', ...base.below, ...(opts.barSizes ? { barSizes: opts.barSizes } : {}) });
  t.steps('operate', boot.log);
  const open = await vfioPciCoreEnable(A, devA, fn);
  t.notes.push(...open.notes);
  t.trace('operate', devA.log.writes.slice(ctx.mark));
  const reference = fn.space.snapshot();
  const parentReference = up?.fn.space.snapshot();
  const savedByOld = savedBits(fn, A, devA.saved);
  const carried = flow === 'rfc-2025'
    ? new Map(opts.formats.map((format) => [format, open.savedState ? (format === 'linux-blob' ? { format, bytes: serializeLinuxBlob(open.savedState) } : serializeSaved('lusim-v1', fn, A, devA.saved)) : { format, bytes: null }] as const))
    : undefined;
  const guest = await guestConfigure(mut.access);
  t.steps('operate', guest.log);
  await operate(ctx);
  const vfio = { ...base, reference, ...(parentReference ? { parentReference } : {}), savedByOld, ...(carried ? { carried } : {}), resetWorksOld: open.resetWorks };
  if (flow === 'lu-series') {
    // freeze(): pci_load_saved_state(open-time state), reset if reset_works, pci_restore_state, in kernel A.
    const from = devA.log.writes.length;
    await devA.log.run('vfio_pci_liveupdate_freeze', async () => {
      const res = pciLoadSavedState(devA.saved, open.savedState);
      if (res.ret !== 0) t.notes.push(`freeze: pci_load_saved_state ${res.ret}`);
      if (open.resetWorks) resetLocked(fn, predictFor(fn, A.id).lockedResetMethod, t.notes);
      await pciRestoreState(A, devA);
    });
    t.trace('save A', devA.log.writes.slice(from));
    base.kexecWrites.push(...configWrites(devA.log.since(from)));
    base.parentKexecWrites.push(...configWrites(devA.log.since(from), 'parent'));
  }
  if (flow === 'vfio-lu') {
    const from = devA.log.writes.length;
    const frozen = await vfioPciLiveupdateFreeze(A, devA, fn, mut.access, open, opts.freeze ?? {}, t.notes);
    t.steps('operate', frozen.userspace);
    t.trace('save A', devA.log.writes.slice(from));
    base.kexecWrites.push(...configWrites(devA.log.since(from)));
    return { ...vfio, freezeGates: frozen.gates, fork: await fork(base, frozen.gates) };
  }
  return { ...vfio, fork: await fork(base) };
}

/** Puts the bytes back as the start left them at the kexec (a hardware-side store: no write hooks run). */
export function rewindToKexec(s: CycleStart): void {
  s.fn.space.bytes.set(s.fork.dev);
  if (s.up && s.fork.parent) s.up.fn.space.bytes.set(s.fork.parent);
  if (s.mut.msix && s.fork.msixTable && s.fork.msixPba) {
    s.mut.msix.table.bytes.set(s.fork.msixTable);
    s.mut.msix.pba.bytes.set(s.fork.msixPba);
  }
}

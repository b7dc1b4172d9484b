/**
 * The second half of a cycle: the kexec (kernel A's shutdown, a reset in the window), kernel B's
 * enumeration, its load of what A carried and its restore or VFIO flow, then the field-by-field
 * account. It starts from the bytes as sim/cycle/start.ts left them at the kexec (rewindToKexec),
 * so each finish of one start is the cycle `runCycle` would run with its options.
 */
import { capabilityById } from '../../devices/capability-lookup.js';
import type { PciFunction } from '../../devices/device.js';
import { formatBdf } from '../../devices/dump/bdf.js';
import { applyReset } from '../../devices/reset/apply.js';
import { PCI_BRIDGE_CONTROL, PCI_BRIDGE_CTL_BUS_RESET, PCI_EXT_CAP_ID_L1SS } from '../../devices/pci-regs.js';
import { applyDrift, parseDrift } from '../linux/drift.js';
import { allocateSaveBuffers } from '../linux/alloc.js';
import { newPciDev, type PciDev, type SriovState } from '../linux/dev.js';
import { pciSetupDevice } from '../linux/find-cap.js';
import { pciIovInitAt } from '../linux/iov.js';
import { pcieDownstreamPort } from '../linux/pcie-access.js';
import { kernelProfile } from '../linux/profiles.js';
import type { KernelProfile } from '../linux/profile.js';
import { pciBusAddDevice } from '../linux/save.js';
import type { WriteLogEntry } from '../write-log/entry.js';
import { WriteLog } from '../write-log/write-log.js';
import { KEXEC_VERSION_DATA, kernelEnumerate, kernelScanBridge } from '../kexec-sim/index.js';
import { classifyCycle, countVerdicts, type ConfigWrite } from './classify.js';
import { attributeRestoreWrites, type BufferFill } from './provenance.js';
import { enumeratePort, functionBelowPort, platformAbove } from './upstream.js';
import { takeOver, type LoadResult } from './take-over.js';
import { configWrites, type CycleTrace } from './trace.js';
import { rewindToKexec, type CycleStart } from './start.js';
import type { CycleOptions, CycleResult } from './run.js';
import type { FieldOutcome } from './verdict.js';
import type { FreezeGate } from './vfio-lu.js';

/** The options kernel B's side reads. */
export type FinishOptions = Pick<CycleOptions, 'to' | 'format' | 'drift' | 'reset' | 'handover' | 'kconfig' | 'kconfigTo' | 'physfnBefore'>;

const bdfOf = (fn: PciFunction) => formatBdf(fn.bdf);

export interface KernelB {
  readonly profile: KernelProfile;
  /** Whether a drift changed its layouts (the verdicts then name it "B+drift"). */
  readonly drifted: boolean;
}

/** Kernel B: its profile with the drift applied to its layouts (throws on a bad drift or kernel name). */
export function kernelB(opts: FinishOptions): KernelB {
  const drifts = opts.drift ? parseDrift(opts.drift) : [];
  return { profile: applyDrift(kernelProfile(opts.to, opts.kconfigTo ?? opts.kconfig), drifts), drifted: drifts.length > 0 };
}

export async function finishCycle(s: CycleStart, opts: FinishOptions, b: KernelB = kernelB(opts)): Promise<CycleResult> {
  rewindToKexec(s);
  const B = b.profile;
  const { fn, A, flow, preserved, driver, mut, up } = s;
  const t = s.trace.copy();
  const identity = { bdf: bdfOf(fn), profile: fn.profile.name, ...(up ? { parent: { bdf: bdfOf(up.fn), profile: up.fn.profile.name } } : {}) };
  // vfio_pci_liveupdate_freeze refuses at its first failed check (vfio-lu.ts): no kexec happens.
  const gate = s.freezeGates?.find((g) => g.verdict === 'refused');
  if (gate) return { ...identity, ...refusedAtFreeze(s, B, opts, gate, t) };

  const writes: KexecWrites = { dev: [...s.kexecWrites], parent: [...s.parentKexecWrites] };
  await resetInKexecWindow(s, opts.reset, t, writes);
  const devB = await enumerateB(s, B, t, writes, opts.physfnBefore ?? false);
  const mid = fn.space.snapshot();
  const parentMid = up?.fn.space.snapshot();
  const markB = devB.log.writes.length;

  const carried = s.carried?.get(opts.format);
  if (s.carried && !carried) throw new Error(`the cycle was started without format ${opts.format}`);
  const took = await takeOver({ A, B, flow, fn, mut, devB, carried, resetWorksOld: s.resetWorksOld, handover: opts.handover }, t.notes);
  const { load, handover } = took;
  t.notes.push(...l1ssNotes(fn, up?.fn, B, devB));
  const restoreLog = devB.log.writes.slice(markB);
  t.trace('restore B', restoreLog);
  const fields = accountFields(s, b, { mid, parentMid, restoreLog, fills: took.fills, load, writes });
  const carriedBytes = carried?.bytes;
  return {
    ...identity,
    options: { from: A.id, to: B.id, format: opts.format, flow, preserved, driver, ...(opts.drift ? { drift: opts.drift } : {}), ...(opts.reset ? { reset: opts.reset } : {}) },
    kernels: { from: A.description, to: B.description },
    reference: flow === 'plain' ? 'operational' : 'vfio-open',
    carried: { format: carried ? carried.format : 'none', bytes: carriedBytes ? carriedBytes.length : null },
    load,
    ...(s.resetWorksOld !== undefined || took.resetWorksNew !== undefined ? { resetWorks: { old: s.resetWorksOld ?? false, new: took.resetWorksNew ?? false } } : {}),
    ...(s.freezeGates ? { freeze: s.freezeGates } : {}),
    ...(handover ? { handover: { route: 'luo' as const, written: handover.written, ok: handover.ok } } : {}),
    fields,
    counts: countVerdicts(fields),
    notes: t.notes,
    timeline: t.timeline,
  };
}

/** The config writes between A's save and B's restore: the kexec's, then B's enumeration's. */
interface KexecWrites {
  readonly dev: ConfigWrite[];
  readonly parent: ConfigWrite[];
}

/** The cycle of a vfio-lu freeze() that refused: nothing was carried, nothing is judged. */
function refusedAtFreeze(s: CycleStart, B: KernelProfile, opts: FinishOptions, gate: FreezeGate, t: CycleTrace): Omit<CycleResult, 'bdf' | 'profile' | 'parent'> {
  return {
    options: { from: s.A.id, to: B.id, format: opts.format, flow: s.flow, preserved: s.preserved, driver: s.driver },
    kernels: { from: s.A.description, to: B.description }, reference: 'vfio-open',
    carried: { format: 'none', bytes: null },
    load: { ret: -22, error: `freeze refused at "${gate.gate}": ${gate.why}; no kexec happened` },
    resetWorks: { old: s.resetWorksOld!, new: false }, freeze: s.freezeGates!,
    fields: [], counts: countVerdicts([]), notes: t.notes, timeline: t.timeline,
  };
}

/** A reset in the kexec window (after A's shutdown, run by the start), before B enumerates. */
async function resetInKexecWindow(s: CycleStart, reset: FinishOptions['reset'], t: CycleTrace, writes: KexecWrites): Promise<void> {
  const { fn, up } = s;
  if (reset === 'bus' && up) {
    // Delivered as the kernel delivers a hot reset: pci_reset_secondary_bus on the port above.
    const port = newPciDev(up.access, { name: 'parent' });
    const before = fn.space.snapshot();
    await port.log.run('pci_reset_secondary_bus', () => pciResetSecondaryBus(port));
    t.trace('kexec', port.log.writes);
    writes.parent.push(...configWrites(port.log.writes, 'parent'));
    const after = fn.space.snapshot();
    let changed = 0;
    for (let i = 0; i < after.length; i++) if (after[i] !== before[i]) changed++;
    t.notes.push(`bus reset during the kexec: pci_reset_secondary_bus on the upstream port ${bdfOf(up.fn)} (BRIDGE_CONTROL Secondary Bus Reset 0 -> 1 -> 0) hot-reset the device (${fn.profile.personality}): ${changed} config bytes changed`);
  } else if (reset) {
    const r = applyReset(fn, reset);
    t.notes.push(`${reset} reset during the kexec (${fn.profile.personality}): ${r.changedFields} fields changed${up ? '; applied to the device only, the upstream port is not reset' : ''}`);
  }
}

/**
 * Kernel B's enumeration side effects, the port's first, then the device's; then B sets up the
 * port (its own buffers and saves: nothing of the port is carried, linux-pci.md section 10) and
 * the device: its own buffers (and its own save at pci_bus_add_device, 6.12.y+; v6.19+ that save
 * also refreshes the port's L1SS buffer).
 */
async function enumerateB(s: CycleStart, B: KernelProfile, t: CycleTrace, writes: KexecWrites, physfnBefore: boolean): Promise<PciDev> {
  const { mut, up, iommu } = s;
  if (up) {
    const portEnum = await kernelEnumerate(up.access, B.id, { ...platformAbove(up.fn), iommu }, new WriteLog(), 'parent');
    // The bus scan reads the device as A's shutdown left it, before its own enumeration: both ends
    // of pcie_aspm_configure_common_clock then decide from the same state, as the kernel's one decision.
    await kernelScanBridge(up.access, B.id, functionBelowPort(mut), portEnum, 'parent');
    t.steps('enumerate B', portEnum, false);
    writes.parent.push(...configWrites(portEnum.writes, 'parent'));
  }
  let sriov: SriovState | undefined;
  const iov = async (log: WriteLog) => { sriov = await pciIovInitAt(mut.access, log, KEXEC_VERSION_DATA[B.id].barSizing, up?.access, physfnBefore); };
  // pci_iov_init is a stub without CONFIG_PCI_IOV.
  const enumB = await kernelEnumerate(mut.access, B.id, s.below.platform, new WriteLog(), 'dev', B.kconfig.PCI_IOV ? iov : undefined);
  await kernelScanBridge(mut.access, B.id, undefined, enumB);
  t.steps('enumerate B', enumB);
  writes.dev.push(...configWrites(enumB.writes));
  const portB = up ? await enumeratePort(B, up.access, up.fn, iommu) : undefined;
  const devB = newPciDev(mut.access, { name: 'dev', kernel: { acsEnable: iommu }, ...(portB ? { parent: portB } : {}) });
  await pciSetupDevice(devB);
  devB.kernel.sriov = sriov;
  await allocateSaveBuffers(B, devB);
  await pciBusAddDevice(B, devB);
  t.trace('enumerate B', devB.log.writes);
  writes.dev.push(...configWrites(devB.log.writes));
  writes.parent.push(...configWrites(devB.log.writes, 'parent'));
  return devB;
}

interface AfterB {
  readonly mid: Uint8Array;
  readonly parentMid: Uint8Array | undefined;
  readonly restoreLog: readonly WriteLogEntry[];
  readonly fills: ReadonlyMap<string, BufferFill>;
  readonly load: LoadResult;
  readonly writes: KexecWrites;
}

/** The field-by-field account of the device, and of its port when it has one. */
function accountFields(s: CycleStart, b: KernelB, x: AfterB): FieldOutcome[] {
  const { fn, A, up } = s;
  const B = b.profile;
  const newKernel = b.drifted ? `${B.id}+drift` : B.id;
  // Only plain and rfc-2025 restore a state carried from kernel A; the others restore B's own save.
  const carriedRestored = (s.flow === 'plain' || s.flow === 'rfc-2025') && x.load.ret === 0 && !x.load.error;
  const devFields = classifyCycle({
    registers: s.registers.dev, masks: fn.space.layout.masks,
    before: s.reference, mid: x.mid, after: fn.space.snapshot(), kexecWrites: x.writes.dev,
    restoreWrites: attributeRestoreWrites(fn, A, B, x.restoreLog, x.fills, carriedRestored), savedByOld: s.savedByOld, known: fn.known,
    ...(x.load.error ? { refused: x.load.error } : {}),
    oldKernel: A.id, newKernel,
  });
  if (!up) return devFields;
  // The port: kernel B restores it only from buffers B filled itself, so nothing A saved of it counts.
  return [...devFields, ...classifyCycle({
    function: 'parent',
    registers: s.registers.parent!, masks: up.fn.space.layout.masks,
    before: s.parentReference!, mid: x.parentMid!, after: up.fn.space.snapshot(),
    kexecWrites: x.writes.parent, restoreWrites: attributeRestoreWrites(up.fn, A, B, x.restoreLog, new Map(), false, 'parent'),
    savedByOld: new Uint8Array(up.fn.space.size), known: up.fn.known,
    notCarried: `the upstream port's state is not carried: the PCI Live Update series preserves a bridge's identity and bus numbers only (linux-pci.md section 10), and ${newKernel}'s restore of the device did not write this back`,
    oldKernel: A.id, newKernel,
  })];
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

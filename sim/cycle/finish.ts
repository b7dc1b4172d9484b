/**
 * The second half of a cycle: the kexec (kernel A's shutdown, a reset in the window), kernel B's
 * enumeration, its load of what A carried and its restore or VFIO flow, then the field-by-field
 * account. It starts from the bytes as sim/cycle/start.ts left them at the kexec (rewindToKexec),
 * so each finish of one start is the cycle `runCycle` would run with its options.
 */
import { capabilityById } from '../../devices/capability-lookup.js';
import type { PciFunction } from '../../devices/device.js';
import { formatBdf } from '../../devices/dump/bdf.js';
import { applyReset } from '../../devices/reset.js';
import { PCI_BRIDGE_CONTROL, PCI_BRIDGE_CTL_BUS_RESET, PCI_EXT_CAP_ID_L1SS } from '../../devices/pci-regs.js';
import { applyDrift, parseDrift } from '../linux/drift.js';
import { allocateSaveBuffers } from '../linux/alloc.js';
import { newPciDev, type PciDev } from '../linux/dev.js';
import { pciSetupDevice } from '../linux/find-cap.js';
import { pciIovInit } from '../linux/iov.js';
import { pcieDownstreamPort } from '../linux/pcie-access.js';
import { kernelProfile } from '../linux/profiles.js';
import type { KernelProfile } from '../linux/profile.js';
import { pciRestoreState } from '../linux/restore.js';
import { pciBusAddDevice, pciSaveState } from '../linux/save.js';
import { WriteLog } from '../write-log/write-log.js';
import { kernelEnumerate } from '../kexec-sim/index.js';
import { loadCarried } from './carry.js';
import { classifyCycle, countVerdicts } from './classify.js';
import { attributeRestoreWrites, type BufferFill } from './provenance.js';
import { enumeratePort, platformAbove } from './upstream.js';
import { predictFor } from './reset-path.js';
import { vfioPciCoreDisable, vfioPciCoreEnable } from './vfio.js';
import { checkHandover } from '../linux/handover-abi.js';
import { configWrites } from './trace.js';
import { rewindToKexec, type CycleStart } from './start.js';
import type { CycleOptions, CycleResult } from './run.js';

/** The options kernel B's side reads. */
export type FinishOptions = Pick<CycleOptions, 'to' | 'format' | 'drift' | 'reset' | 'handover' | 'kconfig' | 'kconfigTo'>;

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
  const { fn, A, flow, preserved, driver, iommu, mut, up, below } = s;
  const t = s.trace.copy();
  const notes = t.notes;
  const kexecWrites = [...s.kexecWrites];
  const parentKexecWrites = [...s.parentKexecWrites];
  const identity = { bdf: bdfOf(fn), profile: fn.profile.name, ...(up ? { parent: { bdf: bdfOf(up.fn), profile: up.fn.profile.name } } : {}) };

  // vfio_pci_liveupdate_freeze refuses at its first failed check (vfio-lu.ts): no kexec happens.
  const gate = s.freezeGates?.find((g) => g.verdict === 'refused');
  if (gate) {
    return {
      ...identity,
      options: { from: A.id, to: B.id, format: opts.format, flow, preserved, driver },
      kernels: { from: A.description, to: B.description }, reference: 'vfio-open',
      carried: { format: 'none', bytes: null },
      load: { ret: -22, error: `freeze refused at "${gate.gate}": ${gate.why}; no kexec happened` },
      resetWorks: { old: s.resetWorksOld!, new: false }, freeze: s.freezeGates!,
      fields: [], counts: countVerdicts([]), notes, timeline: t.timeline,
    };
  }

  // The kexec after A's shutdown (run by the start): an optional reset, then kernel B's
  // enumeration side effects: the port's first, then the device's.
  if (opts.reset === 'bus' && up) {
    // Delivered as the kernel delivers a hot reset: pci_reset_secondary_bus on the port above.
    const port = newPciDev(up.access, { name: 'parent' });
    const before = fn.space.snapshot();
    await port.log.run('pci_reset_secondary_bus', () => pciResetSecondaryBus(port));
    t.trace('kexec', port.log.writes);
    parentKexecWrites.push(...configWrites(port.log.writes, 'parent'));
    const after = fn.space.snapshot();
    let changed = 0;
    for (let i = 0; i < after.length; i++) if (after[i] !== before[i]) changed++;
    notes.push(`bus reset during the kexec: pci_reset_secondary_bus on the upstream port ${bdfOf(up.fn)} (BRIDGE_CONTROL Secondary Bus Reset 0 -> 1 -> 0) hot-reset the device (${fn.profile.personality}): ${changed} config bytes changed`);
  } else if (opts.reset) {
    const r = applyReset(fn, opts.reset);
    notes.push(`${opts.reset} reset during the kexec (${fn.profile.personality}): ${r.changedFields} fields changed${up ? '; applied to the device only, the upstream port is not reset' : ''}`);
  }
  if (up) {
    const portEnum = await kernelEnumerate(up.access, B.id, { ...platformAbove(up.fn), iommu }, new WriteLog(), 'parent');
    t.steps('enumerate B', portEnum, false);
    parentKexecWrites.push(...configWrites(portEnum.writes, 'parent'));
  }
  const enumB = await kernelEnumerate(mut.access, B.id, below.platform);
  t.steps('enumerate B', enumB);
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
  t.trace('enumerate B', devB.log.writes);
  kexecWrites.push(...configWrites(devB.log.writes));
  parentKexecWrites.push(...configWrites(devB.log.writes, 'parent'));
  const mid = fn.space.snapshot();
  const parentMid = up?.fn.space.snapshot();
  const markB = devB.log.writes.length;

  let load: { ret: number; error?: string } = { ret: 0 };
  let fills: ReadonlyMap<string, BufferFill> = new Map();
  let resetWorksNew: boolean | undefined;
  const carried = s.carried?.get(opts.format);
  if (s.carried && !carried) throw new Error(`the cycle was started without format ${opts.format}`);
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
    const open = await vfioPciCoreEnable(B, devB, fn, { liveupdateRestore: { resetWorks: s.resetWorksOld!, savedState: null } });
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
    const open = await vfioPciCoreEnable(B, devB, fn, { liveupdateRestore: { resetWorks: s.resetWorksOld!, savedState: null } });
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
  t.trace('restore B', restoreLog);
  // Only plain and rfc-2025 restore a state carried from kernel A; the others restore B's own save.
  const carriedRestored = (flow === 'plain' || flow === 'rfc-2025') && load.ret === 0 && !load.error;
  const restoreWrites = attributeRestoreWrites(fn, A, B, restoreLog, fills, carriedRestored);
  const after = fn.space.snapshot();
  const newKernel = b.drifted ? `${B.id}+drift` : B.id;

  const devFields = classifyCycle({
    registers: s.registers.dev, masks: fn.space.layout.masks,
    before: s.reference, mid, after, kexecWrites, restoreWrites, savedByOld: s.savedByOld, known: fn.known,
    ...(load.error ? { refused: load.error } : {}),
    oldKernel: A.id, newKernel,
  });
  // The port: kernel B restores it only from buffers B filled itself, so nothing A saved of it counts.
  const fields = up ? [...devFields, ...classifyCycle({
    function: 'parent',
    registers: s.registers.parent!, masks: up.fn.space.layout.masks,
    before: s.parentReference!, mid: parentMid!, after: up.fn.space.snapshot(),
    kexecWrites: parentKexecWrites, restoreWrites: attributeRestoreWrites(up.fn, A, B, restoreLog, new Map(), false, 'parent'),
    savedByOld: new Uint8Array(up.fn.space.size), known: up.fn.known,
    notCarried: `the upstream port's state is not carried: the PCI Live Update series preserves a bridge's identity and bus numbers only (linux-pci.md section 10), and ${newKernel}'s restore of the device did not write this back`,
    oldKernel: A.id, newKernel,
  })] : devFields;
  const carriedBytes = carried?.bytes;
  return {
    ...identity,
    options: { from: A.id, to: B.id, format: opts.format, flow, preserved, driver, ...(opts.drift ? { drift: opts.drift } : {}), ...(opts.reset ? { reset: opts.reset } : {}) },
    kernels: { from: A.description, to: B.description },
    reference: flow === 'plain' ? 'operational' : 'vfio-open',
    carried: { format: carried ? carried.format : 'none', bytes: carriedBytes ? carriedBytes.length : null },
    load,
    ...(s.resetWorksOld !== undefined || resetWorksNew !== undefined ? { resetWorks: { old: s.resetWorksOld ?? false, new: resetWorksNew ?? false } } : {}),
    ...(s.freezeGates ? { freeze: s.freezeGates } : {}),
    ...(handover ? { handover: { route: 'luo' as const, written: handover.written, ok: handover.ok } } : {}),
    fields,
    counts: countVerdicts(fields),
    notes,
    timeline: t.timeline,
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

/**
 * Field-by-field diff of a cycle: compare the operational state (before the old kernel saved)
 * with the state after the new kernel restored, and say for each field why it is what it is.
 * The inputs are plain data so the same classifier serves the simulated cycle and the real run.
 */
import { registerLocation } from '../../devices/capability-lookup.js';
import type { PciFunction } from '../../devices/device.js';
import type { ByteMasks } from '../../devices/compile.js';
import { readLE } from '../../devices/bytes.js';
import { isKnown } from '../../devices/dump/known.js';
import { fieldMask, type RegisterDef } from '../../devices/registers.js';
import type { CycleFunction, FieldOutcome, Verdict, WriteOrigin } from './verdict.js';
import { PCI_EXP_FLAGS_TYPE, PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_PCIE_BRIDGE, PCI_EXP_TYPE_ROOT_PORT } from '../../devices/pci-regs.js';

export interface LocatedRegister {
  readonly register: RegisterDef;
  /** 'header' or a capability key. */
  readonly location: string;
}

/** Every register of a modelled function with where it lives (header or capability key). */
export function locatedRegisters(fn: PciFunction): LocatedRegister[] {
  return fn.space.layout.registers.map((register) => ({ register, location: registerLocation(fn, register.offset) }));
}

export interface ConfigWrite {
  readonly step: string;
  readonly offset: number;
  readonly width: number;
  readonly origin?: WriteOrigin;
}

export interface DiffInputs {
  readonly registers: readonly LocatedRegister[];
  readonly masks: ByteMasks;
  readonly before: Uint8Array;
  readonly mid: Uint8Array;
  readonly after: Uint8Array;
  /** Config writes between the save and the restore (shutdown, enumeration, reset). */
  readonly kexecWrites: readonly ConfigWrite[];
  /** Config writes of the new kernel's restore, in order, with where each value came from. */
  readonly restoreWrites: readonly ConfigWrite[];
  /** Per byte: the bits the old kernel's pci_save_state captured. */
  readonly savedByOld: Uint8Array;
  /** Set when the new kernel refused the saved state (the load's error, e.g. "-EINVAL: ..."). */
  readonly refused?: string;
  readonly oldKernel: string;
  readonly newKernel: string;
  /** The function these registers belong to (default 'dev'). */
  readonly function?: CycleFunction;
  /**
   * Why nothing of kernel A's state reaches kernel B for this function at all (the upstream port:
   * only its identity is preserved). Replaces "not saved by A" for a field that did not come back.
   */
  readonly notCarried?: string;
  /** Per byte: 1 if the dump captured it (PciFunction.known). Fields with an uncaptured byte are `unknown`. */
  readonly known?: Uint8Array;
}

/** Steps that rewrite registers from the kernel's own state, not from a save buffer (linux-pci.md 2.2, 4). */
const REGENERATING_STEPS: Readonly<Record<string, string>> = {
  pci_restore_msi_state: 'MSI/MSI-X rewritten from the kernel\'s msi_desc (pci_restore_msi_state)',
  pci_enable_acs: 'ACS Control recomputed from policy (pci_enable_acs)',
  pci_restore_rebar_state: 'BAR sizes from the kernel\'s resources (pci_restore_rebar_state)',
  pci_restore_ats_state: 'ATS from dev->ats_enabled/ats_stu (pci_restore_ats_state)',
  pci_restore_pri_state: 'PRI from dev->pri_reqs_alloc (pci_restore_pri_state)',
  pci_restore_pasid_state: 'PASID from dev->pasid_features (pci_restore_pasid_state)',
  pci_bridge_reconfigure_ltr: 'LTR enable re-set on the path (pci_bridge_reconfigure_ltr)',
};

/** pcie_downstream_port on the function the registers describe (Root Port, Downstream Port, PCIe-to-PCI bridge). */
function pcieDownstreamPort(inp: DiffInputs): boolean {
  const flags = inp.registers.find((r) => r.register.name === 'PCI_EXP_FLAGS')?.register;
  if (!flags) return false;
  const type = (readLE(inp.before, flags.offset, 2) & PCI_EXP_FLAGS_TYPE) >> 4;
  return type === PCI_EXP_TYPE_ROOT_PORT || type === PCI_EXP_TYPE_DOWNSTREAM || type === PCI_EXP_TYPE_PCIE_BRIDGE;
}

const overlaps = (w: ConfigWrite, reg: { readonly offset: number; readonly width: number }) => w.offset < reg.offset + reg.width && reg.offset < w.offset + w.width;

/**
 * Per register (by index), the writes that touch one of its bytes, in write order: one pass over
 * the writes through a byte -> register index instead of filtering every write per register
 * (a fuzzed cycle has hundreds of each). The registers of a compiled layout never overlap
 * (devices/compile.ts throws); for a list that does, the plain filter.
 */
function writesByRegister(list: CompiledList, writeLists: readonly (readonly ConfigWrite[])[]): (readonly ConfigWrite[])[][] {
  const { at, registers } = list;
  if (at === null) return writeLists.map((ws) => registers.map((reg) => ws.filter((w) => overlaps(w, reg))));
  return writeLists.map((ws) => {
    // Most registers get no write: they share NO_WRITES until their first.
    const out: (readonly ConfigWrite[])[] = new Array(registers.length).fill(NO_WRITES);
    const lastWrite = new Int32Array(registers.length).fill(-1);
    for (let j = 0; j < ws.length; j++) {
      const w = ws[j];
      for (let b = Math.max(0, w.offset); b < Math.min(at.length, w.offset + w.width); b++) {
        const i = at[b];
        if (i === -1 || lastWrite[i] === j) continue;
        lastWrite[i] = j;
        if (out[i] === NO_WRITES) out[i] = [w];
        else (out[i] as ConfigWrite[]).push(w);
      }
    }
    return out;
  });
}

const NO_WRITES: readonly ConfigWrite[] = Object.freeze([]);

/**
 * A register as the classifier reads it, every one in the same shape: a layout's RegisterDefs and
 * FieldDefs come in many shapes (optional attributes), and reading hundreds of them per cycle
 * through one access site is a slow megamorphic load.
 */
interface CompiledRegister {
  readonly name: string;
  readonly location: string;
  readonly offset: number;
  readonly width: number;
  readonly fields: readonly { readonly name: string; readonly mask: number; readonly lo: number; readonly bits: string }[];
}

interface CompiledList {
  readonly registers: readonly CompiledRegister[];
  /** Byte -> register index (-1: no register), or null when two registers share a byte. */
  readonly at: Int32Array | null;
}

/** Kept per register list: a start's finishes classify the same list (CycleStart.registers). */
const compiledLists = new WeakMap<readonly LocatedRegister[], CompiledList>();
function compiled(located: readonly LocatedRegister[]): CompiledList {
  const kept = compiledLists.get(located);
  if (kept) return kept;
  const registers = located.map(({ register: r, location }): CompiledRegister => ({
    name: r.name, location, offset: r.offset, width: r.width,
    fields: r.fields.map((fd) => ({ name: fd.name, mask: fieldMask(fd), lo: fd.lo, bits: fd.hi === fd.lo ? String(fd.lo) : `${fd.hi}:${fd.lo}` })),
  }));
  const end = registers.reduce((n, r) => Math.max(n, r.offset + r.width), 0);
  let at: Int32Array | null = new Int32Array(end).fill(-1);
  for (let i = 0; i < registers.length && at !== null; i++) {
    const r = registers[i];
    for (let b = r.offset; b < r.offset + r.width; b++) {
      if (at[b] !== -1) { at = null; break; }
      at[b] = i;
    }
  }
  const list = { registers, at };
  compiledLists.set(located, list);
  return list;
}

/**
 * Most registers of a cycle are never written: they share one empty list instead of allocating
 * their own (a fuzzed cycle classifies hundreds of registers; FieldOutcome.writers is read-only).
 */
const NO_STEPS: readonly string[] = Object.freeze([]);

/** The distinct steps of `writes`, in first-write order. */
function stepsOf(writes: readonly ConfigWrite[]): readonly string[] {
  if (writes.length === 0) return NO_STEPS;
  const steps: string[] = [];
  for (const w of writes) if (!steps.includes(w.step)) steps.push(w.step);
  return steps;
}

/** judge's verdict on a field the kexec did not change and no restore wrote. */
const UNTOUCHED: readonly [Verdict, string] = ['unchanged', 'not changed by the kexec, not written by the restore'];

export function classifyCycle(inp: DiffInputs): FieldOutcome[] {
  const out: FieldOutcome[] = [];
  const list = compiled(inp.registers);
  const [kexecByReg, restoreByReg] = writesByRegister(list, [inp.kexecWrites, inp.restoreWrites]);
  for (let index = 0; index < list.registers.length; index++) classifyRegister(inp, list.registers[index], kexecByReg[index], restoreByReg[index], out);
  return out;
}

/** The outcomes of `reg`'s fields, appended to `out`. */
function classifyRegister(inp: DiffInputs, reg: CompiledRegister, kexecW: readonly ConfigWrite[], restoreW: readonly ConfigWrite[], out: FieldOutcome[]): void {
  const vBefore = readLE(inp.before, reg.offset, reg.width);
  const vMid = readLE(inp.mid, reg.offset, reg.width);
  const vAfter = readLE(inp.after, reg.offset, reg.width);
  // (Not restoreW[length - 1]: index -1 of an empty array is a slow property lookup.)
  const last = restoreW.length > 0 ? restoreW[restoreW.length - 1] : undefined;
  const captured = inp.known === undefined || isKnown(inp.known, reg.offset, reg.width);
  const volatileM = readLE(inp.masks.volatile, reg.offset, reg.width);
  const w1cM = readLE(inp.masks.w1c, reg.offset, reg.width);
  const savedM = readLE(inp.savedByOld, reg.offset, reg.width);
  const kexecSteps = stepsOf(kexecW);
  const writers = restoreW.length === 0 ? kexecSteps : stepsOf(kexecW.concat(restoreW));
  for (const fd of reg.fields) {
    const m = fd.mask;
    const before = (vBefore & m) >>> fd.lo;
    const mid = (vMid & m) >>> fd.lo;
    const after = (vAfter & m) >>> fd.lo;
    // Most fields of a cycle (about 360 of 380 in a fuzzed one) kept their value and nothing
    // restored them: judge's first rule, without building its facts.
    const [verdict, rule] = !captured ? ['unknown' as const, `not in the dump: ${reg.name}'s bytes were never captured, so its value before, during and after the cycle is unknown`]
      : before === after && mid === before && restoreW.length === 0 ? UNTOUCHED
        : judge(inp, { field: fd.name, before, mid, after, volatile: (volatileM & m) !== 0, w1c: (w1cM & m) !== 0, saved: ((savedM & m) >>> 0) === m, last, written: restoreW.length > 0, kexecSteps });
    out.push({ function: inp.function ?? 'dev', location: reg.location, register: reg.name, field: fd.name, offset: reg.offset, bits: fd.bits, before, mid, after, verdict, rule, writers });
  }
}

/**
 * Rules that say the kernel itself leaves the field as the device has it: not lusim's loss, the
 * kernel's (sim/fuzz/oracles.ts identity does not count them).
 */
export const KERNEL_RULE = "kernel's rule: ";

interface FieldFacts {
  field: string;
  before: number; mid: number; after: number;
  volatile: boolean; w1c: boolean; saved: boolean;
  last: ConfigWrite | undefined; written: boolean;
  /** Kernel functions that wrote the register between the save and the restore. */
  kexecSteps: readonly string[];
}

function judge(inp: DiffInputs, f: FieldFacts): [Verdict, string] {
  const origin = f.last?.origin;
  if (f.before === f.after) {
    const latent = origin?.kind === 'buffer' && origin.originRegister !== undefined && origin.originRegister !== origin.slotRegister;
    if (f.mid === f.before) {
      if (latent) return ['unchanged', `latent corruption: ${f.last!.step} wrote the slot for ${origin.slotRegister} holding ${inp.oldKernel}'s ${origin.originRegister}; the values happen to match`];
      return ['unchanged', f.written ? `not changed by the kexec; rewritten with the same value by ${f.last!.step}` : 'not changed by the kexec, not written by the restore'];
    }
    if (!f.written) return ['restored', 'changed during the kexec and back without a restore write'];
    return ['restored', `${latent ? 'value coincides (latent corruption): ' : ''}written back by ${f.last!.step}`];
  }
  if (f.volatile) return ['expected', 'volatile: hardware-owned state (link, presence, pending bits)'];
  if (f.w1c) return ['expected', `RW1C status${f.last ? `, last written by ${f.last.step}` : ''}: cleared by writing 1s (pci_aer_clear_status and status write-backs)`];
  // iov.c: nothing of SR-IOV is in pci_save_state; B's sriov_init cleared VF Enable and B's restore
  // writes B's own dev->sriov, which has no VFs (num_VFs 0): kernel A's VFs do not come back.
  if (f.last?.step === 'pci_restore_iov_state' || f.kexecSteps.includes('sriov_init')) return ['lost', `not saved by ${inp.oldKernel}'s pci_save_state (it carries no SR-IOV state): ${f.kexecSteps.includes('sriov_init') ? `sriov_init changed it at ${inp.newKernel}'s enumeration (VF Enable cleared); ` : ''}sriov_restore_state wrote back ${inp.newKernel}'s own dev->sriov (no VFs), so ${inp.oldKernel}'s VFs are gone`];
  if (f.last && REGENERATING_STEPS[f.last.step]) return ['expected', `regenerated: ${REGENERATING_STEPS[f.last.step]}`];
  if (origin?.kind === 'regenerated') return ['expected', `regenerated: ${origin.from}`];
  if (origin?.kind === 'buffer') {
    if (origin.stale) return ['stale', `${f.last!.step} restored ${inp.newKernel}'s ${origin.buffer} buffer slot for ${origin.slotRegister}, which ${inp.oldKernel}'s blob never filled (pci_load_saved_state leaves absent buffers untouched)`];
    if (origin.originRegister !== origin.slotRegister) return ['corrupted', `${f.last!.step} wrote ${inp.newKernel}'s ${origin.buffer} slot for ${origin.slotRegister}, but ${inp.oldKernel} saved ${origin.originRegister ?? 'nothing'} in those bytes (data[] layouts differ)`];
  }
  if (origin?.kind === 'buffer' && origin.ownSave) return ['lost', `${f.last!.step} restored ${inp.newKernel}'s own pci_save_state (taken after the kexec), not the state ${inp.oldKernel} saved`];
  if (origin?.kind === 'config-dword' && origin.source === 'own-save') return ['lost', `${f.last!.step} restored ${inp.newKernel}'s own pci_save_state (taken after the kexec), not the state ${inp.oldKernel} saved`];
  if (inp.refused && !f.written) return ['refused', `${inp.newKernel} refused the saved state (${inp.refused}); nothing restored this field`];
  if (inp.notCarried && !f.written) return ['lost', inp.notCarried];
  if (!f.saved) return ['lost', `not saved by ${inp.oldKernel}'s pci_save_state`];
  if (!f.written) {
    const by = f.kexecSteps.length ? `changed during the kexec by ${f.kexecSteps.join(', ')}; ` : '';
    return ['lost', `${by}saved by ${inp.oldKernel} but nothing in ${inp.newKernel} wrote it back${inp.refused ? ` (${inp.refused})` : ''}`];
  }
  // vc.c pci_vc_do_save_buffer (restore): "For an FLR case, the VC config may remain. Preserve
  // enable bit, restore the rest", then pci_vc_enable only on a downstream port (it enables both
  // link ends from there): on any other function a VC a reset disabled stays disabled.
  if (f.field === 'PCI_VC_RES_CTRL_ENABLE' && f.last?.step === 'pci_restore_vc_state' && !pcieDownstreamPort(inp)) return ['lost', `${KERNEL_RULE}pci_restore_vc_state keeps the VC Enable bit the device has and re-enables a VC (pci_vc_enable) only from a downstream port, which enables both ends of its link (vc.c); here the device had it clear`];
  return ['lost', `${f.last!.step} wrote it back but the device did not keep the value (read-only in this implementation, or changed afterwards)`];
}

export function countVerdicts(fields: readonly FieldOutcome[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { restored: 0, expected: 0, lost: 0, corrupted: 0, stale: 0, refused: 0, unchanged: 0, unknown: 0 };
  for (const f of fields) countVerdict(counts, f.verdict);
  return counts;
}

/** counts[verdict]++, spelt out: a keyed increment over eight names is a slow lookup, and a fuzzed cycle counts about 380 fields. */
function countVerdict(counts: Record<Verdict, number>, v: Verdict): void {
  switch (v) {
    case 'restored': counts.restored++; break;
    case 'expected': counts.expected++; break;
    case 'lost': counts.lost++; break;
    case 'corrupted': counts.corrupted++; break;
    case 'stale': counts.stale++; break;
    case 'refused': counts.refused++; break;
    case 'unchanged': counts.unchanged++; break;
    case 'unknown': counts.unknown++; break;
  }
}

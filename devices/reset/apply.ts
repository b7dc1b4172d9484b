/**
 * Apply a reset kind to a modelled function and report, field by field, what changed and what
 * survived, each with the rule that decided it. Two personalities (devices/profile.ts):
 *  - 'spec'     what the PCIe spec requires (devices/reset/spec.ts);
 *  - 'qemu-7.2' what QEMU 7.2 does (devices/reset/qemu.ts): far less than the spec.
 * The function's bytes are changed in place (the reset happens to the device); the report carries
 * both snapshots.
 */
import type { PciFunction } from '../device.js';
import { ConfigSpace } from '../config-space.js';
import { formatBdf } from '../dump/bdf.js';
import { LusimError } from '../errors.js';
import type { ResetPersonality } from '../profile.js';
import { fieldMask, fieldValue, type FieldDef } from '../registers.js';
import type { ResetKind } from './kinds.js';
import { readLE } from '../bytes.js';
import { capabilityById } from '../capability-lookup.js';
import { ResetPlan, hasFlr } from './plan.js';
import { planQemuReset, qemuPerforms, qemuSurvivalRule, QEMU_RULE, type QemuResetContext } from './qemu.js';
import { planSpecReset, specSurvivalRule, RULE } from './spec.js';
import { PCI_CAP_ID_PM } from '../pci-regs.js';

export type { ResetKind } from './kinds.js';
export { RESET_KINDS } from './kinds.js';

export type ResetErrorCode = 'reset-unsupported' | 'cannot-tell';

/**
 * A reset the function cannot undergo at all (D3hot->D0 without a PM capability), or one a partial
 * dump cannot decide (cli/commands/reset.ts: whether FLR is advertised, whether there is a PM capability).
 */
export class ResetError extends LusimError<ResetErrorCode> {}

export interface FieldOutcome {
  readonly register: string;
  readonly field: string;
  /** Absolute offset and width of the register the field belongs to. */
  readonly offset: number;
  readonly width: number;
  /** Field values (not shifted). */
  readonly before: number;
  readonly after: number;
  readonly changed: boolean;
  readonly rule: string;
}

export interface ScratchOutcome {
  readonly offset: number;
  readonly length: number;
  readonly rule: string;
}

export interface ResetReport {
  readonly bdf: string;
  readonly kind: ResetKind;
  readonly personality: ResetPersonality;
  /** False when the function ignores the request (FLR without DEVCAP.FLR). */
  readonly performed: boolean;
  readonly fields: readonly FieldOutcome[];
  /** How many of `fields` changed (without making the field-by-field account). */
  readonly changedFields: number;
  readonly scratch: readonly ScratchOutcome[];
  readonly notes: readonly string[];
  readonly before: Uint8Array;
  readonly after: Uint8Array;
}

export interface ResetOptions extends QemuResetContext {
  /** Default: the function's profile personality. */
  readonly personality?: ResetPersonality;
}

export function applyReset(fn: PciFunction, kind: ResetKind, opts: ResetOptions = {}): ResetReport {
  const personality = opts.personality ?? fn.profile.personality;
  if (kind === 'pm' && !capabilityById(fn, PCI_CAP_ID_PM, false)) {
    throw new ResetError('reset-unsupported', `${formatBdf(fn.bdf)} has no Power Management capability, so it has no D3hot->D0 reset (pm): choose flr, bus or cold`, { bdf: formatBdf(fn.bdf), kind });
  }
  const before = fn.space.snapshot();
  const plan = new ResetPlan(before);
  const notes: string[] = [];
  let performed: boolean;
  if (personality === 'qemu-7.2') {
    performed = qemuPerforms(fn, kind);
    planQemuReset(fn, kind, plan, opts, notes);
  } else {
    performed = kind !== 'flr' || hasFlr(fn);
    planSpecReset(fn, kind, plan, performed);
  }
  if (!performed) notes.push('the function does not advertise FLR (PCI_EXP_DEVCAP_FLR=0): Initiate FLR has no effect');
  if (kind === 'cold') notes.push('cold reset: HwInit fields keep the dump\'s values; real hardware reloads them from straps/firmware');
  if (personality === 'qemu-7.2' && kind !== 'pm' && performed && fn.walk.capabilities.some((c) => !c.extended && c.id === 0x11)) {
    notes.push('MSI-X table and PBA (BAR memory) are zeroed/masked by msix_reset; config space shows only the control bits');
  }
  fn.space.bytes.set(plan.after);
  // The field-by-field account, the scratch ranges and the after copy are made when first read
  // (a fuzzed cycle resets several times and mostly counts changed fields, if anything), from the
  // function as the reset left it: its rules read the bytes (No_Soft_Reset, DEVCAP.FLR), so they
  // read a private copy of them (plan.after, which nothing writes once the plan is applied).
  const left: PciFunction = { ...fn, space: new ConfigSpace(plan.after, fn.space.layout) };
  let fields: readonly FieldOutcome[] | undefined;
  let scratch: readonly ScratchOutcome[] | undefined;
  let after: Uint8Array | undefined;
  return {
    bdf: formatBdf(fn.bdf), kind, personality, performed,
    get fields() { return (fields ??= outcomes(left, kind, personality, performed, plan)); },
    changedFields: changedFields(fn, plan),
    get scratch() { return (scratch ??= scratchRanges(fn, personality)); },
    notes, before,
    get after() { return (after ??= plan.after.slice()); },
  };
}

function outcomes(fn: PciFunction, kind: ResetKind, personality: ResetPersonality, performed: boolean, plan: ResetPlan): FieldOutcome[] {
  const out: FieldOutcome[] = [];
  const regs = [...fn.space.layout.registers].sort((a, b) => a.offset - b.offset);
  for (const reg of regs) {
    for (const fd of reg.fields) {
      const m = fieldMask(fd);
      const b = fieldValue(fd, readLE(plan.before, reg.offset, reg.width));
      const a = fieldValue(fd, readLE(plan.after, reg.offset, reg.width));
      // The survival rule only for a field no planned rule touched (most fields of a reset are).
      const rule = plan.ruleFor(reg.offset, reg.width, m) ?? survivalRule(fn, reg.offset, fd, kind, personality, performed);
      out.push({ register: reg.name, field: fd.name, offset: reg.offset, width: reg.width, before: b, after: a, changed: a !== b, rule });
    }
  }
  return out;
}

/** The fields whose value the plan changed: those `outcomes` reports with `changed`. */
function changedFields(fn: PciFunction, plan: ResetPlan): number {
  let n = 0;
  for (const reg of fn.space.layout.registers) {
    const b = readLE(plan.before, reg.offset, reg.width);
    const a = readLE(plan.after, reg.offset, reg.width);
    if (a === b) continue;
    for (const fd of reg.fields) if (fieldValue(fd, a) !== fieldValue(fd, b)) n++;
  }
  return n;
}

function survivalRule(fn: PciFunction, offset: number, fd: FieldDef, kind: ResetKind, personality: ResetPersonality, performed: boolean): string {
  const spec = specSurvivalRule(fd, kind, performed, fn);
  return personality === 'qemu-7.2' ? qemuSurvivalRule(fn, offset, fd, kind, spec) : spec;
}

/** Writable bytes no register claims (QEMU's scratch): contiguous ranges, all surviving. */
function scratchRanges(fn: PciFunction, personality: ResetPersonality): ScratchOutcome[] {
  const { writable, claimed } = fn.space.layout.masks;
  const out: ScratchOutcome[] = [];
  const rule = personality === 'qemu-7.2' ? QEMU_RULE.scratch : RULE.scratch;
  for (let i = 0; i < writable.length; i++) {
    if (writable[i] === 0 || claimed[i] !== 0) continue;
    let j = i;
    while (j < writable.length && writable[j] !== 0 && claimed[j] === 0) j++;
    out.push({ offset: i, length: j - i, rule });
    i = j;
  }
  return out;
}

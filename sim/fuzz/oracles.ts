/**
 * The oracles, each named in the output (issue 10 "What it checks"):
 *
 *   identity      same kernel both sides, no drift, a flow that carries A's state (plain,
 *                 rfc-2025): every register the kernel saved comes back. Must hold. (lu-series
 *                 and vfio restore B's own saves, so what they lose is not an identity question.)
 *   lusim-v1      the versioned format never restores a register from another register's slot
 *                 (no corrupted field, no latent corruption) and never refuses a state its own
 *                 encoder wrote for this device. Must hold.
 *   linux-blob    what the structural format does across kernels and drifts: refused (-EINVAL),
 *                 silently corrupted, stale; clean is no finding. These are hazards to report,
 *                 not failures of lusim.
 *   typed-errors  no step throws anything but a LusimError. Must hold.
 *   time-bound    no cycle runs longer than the bound. Must hold.
 *   personality   the spec and QEMU 7.2 personalities agree on every field no declared QEMU
 *                 difference reaches (sim/fuzz/personality.ts; --from-dump with a QEMU device
 *                 only). Must hold: a disagreement is a model or profile bug.
 *   qemu          `--qemu N`: sampled QEMU layouts run for real, each phase against the model's
 *                 prediction (cli/fuzz/qemu.ts). Must hold.
 *
 * The cycle oracles read only the CycleResult, so a reproducer's `lusim cycle --json` output can be
 * judged by the same code (test/cli/fuzz.test.ts does).
 */
import { LusimError } from '../../devices/errors.js';
import type { CycleResult } from '../cycle/run.js';
import type { FieldOutcome } from '../cycle/verdict.js';
import { KERNEL_RULE } from '../cycle/classify.js';

export type OracleName = 'identity' | 'lusim-v1' | 'linux-blob' | 'typed-errors' | 'time-bound' | 'personality' | 'qemu';
export const ORACLES: readonly OracleName[] = ['identity', 'lusim-v1', 'linux-blob', 'typed-errors', 'time-bound', 'personality', 'qemu'];
/** Oracles whose failure is lusim's (exit 1); linux-blob findings are the kernel's hazards. */
export const MUST_HOLD: readonly OracleName[] = ['identity', 'lusim-v1', 'typed-errors', 'time-bound', 'personality', 'qemu'];

export interface Finding {
  readonly oracle: OracleName;
  /** refused, corrupted, stale, lost, exception, slow; personality: operational, kexec, restore, load; qemu: kexec, unbind, blob, load, restore, run-failed. */
  readonly kind: string;
  /** Registers involved (REGISTER or parent REGISTER), sorted and unique. */
  readonly registers: readonly string[];
  /** One line: what happened. */
  readonly detail: string;
}

export type JudgedCycle = Pick<CycleResult, 'options' | 'fields' | 'load' | 'notes'>;

const regName = (f: FieldOutcome) => `${f.function === 'parent' ? 'parent ' : ''}${f.register}`;
const registersOf = (fields: readonly FieldOutcome[]) => [...new Set(fields.map(regName))].sort();
const fieldList = (fields: readonly FieldOutcome[]) => fields.slice(0, 4).map((f) => `${regName(f)}.${f.field} ${f.before}->${f.after}`).join(', ') + (fields.length > 4 ? `, +${fields.length - 4}` : '');

/** Flows whose kernel B restores a state carried from kernel A (the others restore B's own saves). */
const carries = (r: JudgedCycle) => r.options.flow === 'plain' || r.options.flow === 'rfc-2025';

function identity(r: JudgedCycle): Finding[] {
  if (r.options.from !== r.options.to || r.options.drift || !carries(r)) return [];
  // A limit the cycle states itself (6.12+ restore L1SS only through a modelled upstream port) is not a finding.
  if (r.notes.some((n) => n.startsWith('model limit:'))) return [];
  // A register the kernel never saves may be lost (MSI/MSI-X, L1SS after the 6.1.y revert); one it
  // saved must come back (the property of test/sim/cycle/properties.test.ts).
  // v6.12+ pci_restore_aspm_l1ss_state restores nothing when the upstream port has no L1SS
  // (pcie/aspm.c; the cycle notes it): the kernel's own rule, not lusim's.
  const l1ssSkipped = r.notes.some((n) => n.includes('pci_restore_aspm_l1ss_state does nothing'));
  const bad = r.fields.filter((f) => f.verdict === 'corrupted' || f.verdict === 'stale' || f.verdict === 'refused'
    || (f.verdict === 'lost' && !f.rule.startsWith('not saved by') && !f.rule.startsWith(KERNEL_RULE) && !(l1ssSkipped && f.location === 'l1ss')));
  if (!bad.length && r.load.ret === 0) return [];
  const kind = r.load.ret !== 0 ? 'refused' : bad[0].verdict;
  return [{ oracle: 'identity', kind, registers: registersOf(bad), detail: r.load.error ?? `${bad.length} fields not back: ${fieldList(bad)}` }];
}

function lusimV1(r: JudgedCycle): Finding[] {
  if (r.options.format !== 'lusim-v1' || !carries(r)) return [];
  if (r.load.ret !== 0) return [{ oracle: 'lusim-v1', kind: 'refused', registers: [], detail: r.load.error ?? `load returned ${r.load.ret}` }];
  const bad = r.fields.filter((f) => f.verdict === 'corrupted' || f.rule.includes('latent corruption'));
  return bad.length ? [{ oracle: 'lusim-v1', kind: 'corrupted', registers: registersOf(bad), detail: `restored from another register's slot: ${fieldList(bad)}` }] : [];
}

export type CarriedOutcome = 'refused' | 'corrupted' | 'stale' | 'clean';

/**
 * What kernel B made of the state kernel A carried: refused (the load failed), silently corrupted
 * (a field restored from another register's slot), stale (restored from a buffer A's blob never
 * filled), else clean; undefined for a flow that restores B's own saves.
 */
export function carriedOutcome(r: JudgedCycle): CarriedOutcome | undefined {
  if (!carries(r)) return undefined;
  if (r.load.ret !== 0) return 'refused';
  if (r.fields.some((f) => f.verdict === 'corrupted')) return 'corrupted';
  return r.fields.some((f) => f.verdict === 'stale') ? 'stale' : 'clean';
}

function linuxBlob(r: JudgedCycle): Finding[] {
  if (r.options.format !== 'linux-blob') return [];
  const kind = carriedOutcome(r);
  if (kind === undefined || kind === 'clean') return [];
  if (kind === 'refused') return [{ oracle: 'linux-blob', kind, registers: [], detail: r.load.error ?? `load returned ${r.load.ret}` }];
  const bad = r.fields.filter((f) => f.verdict === kind);
  return [{ oracle: 'linux-blob', kind, registers: registersOf(bad), detail: `${kind === 'corrupted' ? 'silently corrupted' : 'stale buffer restored'}: ${fieldList(bad)}` }];
}

/** The cycle oracles' findings for one cycle result. */
export function judgeCycle(r: JudgedCycle, oracles: readonly OracleName[] = ORACLES): Finding[] {
  return [
    ...(oracles.includes('identity') ? identity(r) : []),
    ...(oracles.includes('lusim-v1') ? lusimV1(r) : []),
    ...(oracles.includes('linux-blob') ? linuxBlob(r) : []),
  ];
}

/** A thrown value: a typed LusimError is an answer, anything else a finding. */
export function judgeError(err: unknown): Finding[] {
  if (err instanceof LusimError) return [];
  const e = err instanceof Error ? err : new Error(String(err));
  // Numbers vary with the input; the signature keeps the error's shape.
  return [{ oracle: 'typed-errors', kind: 'exception', registers: [`${e.name}: ${e.message.replace(/0x[0-9a-f]+|\d+/gi, 'N')}`], detail: `${e.name}: ${e.message}` }];
}

export function judgeTime(ms: number, boundMs: number): Finding[] {
  return ms > boundMs ? [{ oracle: 'time-bound', kind: 'slow', registers: [], detail: `cycle took ${ms.toFixed(0)} ms (bound ${boundMs} ms)` }] : [];
}

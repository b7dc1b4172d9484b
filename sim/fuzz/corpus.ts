/**
 * A corpus entry: the shrunk case's dump (lspci -xxxx text, the device and its Root Port) and a
 * JSON record with the finding and the exact `lusim cycle` command that shows it again. Pure: the
 * CLI writes the two files.
 */
import { formatLspci } from '../../devices/dump/lspci.js';
import type { DumpDevice } from '../../devices/dump/types.js';
import type { Shrunk } from './campaign.js';
import { cycleCommand } from './case.js';
import { materialize } from './device.js';
import { MUST_HOLD } from './oracles.js';
import { signatureId } from './signature.js';

export interface CorpusRecord {
  readonly id: string;
  readonly signature: string;
  readonly oracle: string;
  readonly kind: string;
  readonly mustHold: boolean;
  readonly registers: readonly string[];
  readonly detail: string;
  readonly seed: number;
  /** The case that first showed it, before shrinking, and its cycle there. */
  readonly caseIndex: number;
  readonly caseCycle: number;
  readonly shrinkCycles: number;
  readonly dump: string;
  readonly command: string;
  /**
   * Personality findings: `command` runs the QEMU 7.2 profile (--profile auto); this is the same
   * cycle on the spec profile it disagrees with.
   */
  readonly against?: string;
  readonly case: Shrunk['case'];
}

export interface CorpusEntry {
  readonly record: CorpusRecord;
  readonly lspci: string;
}

/** `dumpPath` is where the CLI writes the dump (the command names it). */
export function corpusEntry(shrunk: Shrunk, meta: { seed: number; caseIndex: number; caseCycle: number; seedDump?: DumpDevice }, dumpPath: (id: string) => string): CorpusEntry {
  const id = signatureId(shrunk.finding.signature);
  const m = materialize(shrunk.case.device, meta.seedDump);
  const f = shrunk.finding;
  const command = cycleCommand(shrunk.case, dumpPath(id), m.device);
  return {
    lspci: formatLspci(m.parent ? [m.parent, m.device] : [m.device]),
    record: {
      id, signature: f.signature, oracle: f.oracle, kind: f.kind, mustHold: MUST_HOLD.includes(f.oracle), registers: f.registers, detail: f.detail,
      seed: meta.seed, caseIndex: meta.caseIndex, caseCycle: meta.caseCycle, shrinkCycles: shrunk.cycles,
      dump: dumpPath(id), ...(f.oracle === 'personality' ? { command: `${command} --profile auto`, against: command } : { command }), case: shrunk.case,
    },
  };
}

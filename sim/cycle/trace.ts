/**
 * What a cycle accumulates as it runs: the timeline of every write and the notes of the steps
 * that decided something. A cycle started once and finished several times (sim/cycle/start.ts)
 * gives each finish its own copy of what the start recorded.
 */
import type { WriteLogEntry } from '../write-log/entry.js';
import type { WriteLog } from '../write-log/write-log.js';
import type { ConfigWrite } from './classify.js';
import type { CycleFunction } from './verdict.js';
import type { TimelineEntry } from './run.js';

export class CycleTrace {
  constructor(
    readonly timeline: TimelineEntry[] = [],
    readonly notes: string[] = [],
  ) {}

  /** Appends `log`'s writes to the timeline under `phase`. */
  trace(phase: TimelineEntry['phase'], log: readonly WriteLogEntry[]): void {
    for (const w of log) this.timeline.push({ phase, target: w.device === 'parent' ? 'parent' : 'dev', step: w.fn, offset: w.offset, width: w.width, value: w.value, space: w.space, ...(w.bar === undefined ? {} : { bar: w.bar }) });
  }

  /** A step's writes, and its notes unless `withNotes` is false (the port's own steps: their writes say enough). */
  steps(phase: TimelineEntry['phase'], log: WriteLog, withNotes = true): void {
    this.trace(phase, log.writes);
    if (withNotes) for (const n of log.notes) this.notes.push(`${n.step}: ${n.why}`);
  }

  copy(): CycleTrace {
    return new CycleTrace([...this.timeline], [...this.notes]);
  }
}

/** The config writes to `target` in `log`, as the classifier takes them. */
export function configWrites(log: readonly WriteLogEntry[], target: CycleFunction = 'dev'): ConfigWrite[] {
  // The same shape as an attributed restore write (provenance.ts), origin undefined: the classifier reads both.
  return log.filter((w) => w.space === 'config' && w.device === target).map((w): ConfigWrite => ({ step: w.fn, offset: w.offset, width: w.width, origin: undefined }));
}

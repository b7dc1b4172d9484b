/**
 * `lusim cycle --matrix`: every kernel pair x format x flow for one device. The lu-series, vfio-lu and vfio
 * flows carry nothing across the kexec, so they run once per kernel pair (format "-").
 */
import type { PciFunction } from '../../devices/device.js';
import { KERNEL_PROFILE_IDS } from '../linux/profiles.js';
import { SAVE_FORMATS, type SaveFormat } from './carry.js';
import { FLOWS, runCycle, type CycleOptions, type CycleResult, type Flow } from './run.js';
import type { FieldOutcome, Verdict } from './verdict.js';

export interface MatrixCell {
  readonly from: string;
  readonly to: string;
  readonly flow: Flow;
  readonly format: SaveFormat | '-';
  readonly counts: Record<Verdict, number>;
  readonly loadError?: string;
  readonly resetWorks?: { readonly old: boolean; readonly new: boolean };
  /** The fields that did not come back, with the rule that explains each. */
  readonly problems: readonly { readonly verdict: Verdict; readonly field: string; readonly rule: string }[];
}

/**
 * What every cell's cycle shares: one cycle's options but for the kernels, flow and format the
 * matrix varies (and the upstream port, which each cell builds afresh).
 */
export type MatrixCycle = Omit<CycleOptions, 'from' | 'to' | 'flow' | 'format' | 'parent'>;

export interface MatrixOptions extends MatrixCycle {
  readonly kernels?: readonly string[];
  readonly flows?: readonly Flow[];
  readonly formats?: readonly SaveFormat[];
  /** Builds the upstream port for each cycle (a fresh one, as the device); undefined: the device alone. */
  readonly makeParent?: () => PciFunction;
  readonly onProgress?: (done: number, total: number) => void;
}

const PROBLEMS: readonly Verdict[] = ['lost', 'corrupted', 'stale', 'refused'];

export function cellOf(r: CycleResult, format: SaveFormat | '-'): MatrixCell {
  return {
    from: r.options.from, to: r.options.to, flow: r.options.flow, format, counts: r.counts,
    ...(r.load.error ? { loadError: r.load.error } : {}),
    ...(r.resetWorks ? { resetWorks: r.resetWorks } : {}),
    problems: r.fields.filter((f) => PROBLEMS.includes(f.verdict)).map((f) => ({ verdict: f.verdict, field: fieldName(f), rule: f.rule })),
  };
}

/** REGISTER.FIELD, prefixed with "parent " for the upstream port's fields. */
export const fieldName = (f: FieldOutcome): string => `${f.function === 'parent' ? 'parent ' : ''}${f.register}.${f.field}`;

export async function runMatrix(makeFunction: () => PciFunction, opts: MatrixOptions = {}): Promise<MatrixCell[]> {
  const { kernels = KERNEL_PROFILE_IDS, flows = FLOWS, formats = SAVE_FORMATS, makeParent, onProgress, ...shared } = opts;
  const jobs: { from: string; to: string; flow: Flow; format: SaveFormat | '-' }[] = [];
  for (const from of kernels) for (const to of kernels) for (const flow of flows) {
    if (flow === 'lu-series' || flow === 'vfio-lu' || flow === 'vfio') jobs.push({ from, to, flow, format: '-' });
    else for (const format of formats) jobs.push({ from, to, flow, format });
  }
  const cells: MatrixCell[] = [];
  for (const job of jobs) {
    const o: CycleOptions = {
      ...shared, from: job.from, to: job.to, flow: job.flow, format: job.format === '-' ? 'linux-blob' : job.format,
      ...(makeParent ? { parent: makeParent() } : {}),
    };
    cells.push(cellOf(await runCycle(makeFunction(), o), job.format));
    onProgress?.(cells.length, jobs.length);
  }
  return cells;
}

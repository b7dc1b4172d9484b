/**
 * The config-space map of one cycle for the HTML report: the 4 KiB of each modelled function as
 * 4096 cells, each cell the verdict of the fields that cover it (the worst one wins, so a
 * corrupted bit is never hidden by its restored neighbours) and the capability it belongs to.
 */
import { walkCapabilities } from '../../devices/walker.js';
import type { CycleFunction, FieldOutcome, Verdict } from '../cycle/verdict.js';

export const CONFIG_SIZE = 4096;

/** Worst first: the order a reader must see them in. */
export const VERDICT_RANK: readonly Verdict[] = ['corrupted', 'refused', 'stale', 'lost', 'unknown', 'restored', 'expected', 'unchanged'];

export interface MapCell {
  readonly offset: number;
  /** undefined: no modelled field covers the byte. */
  readonly verdict?: Verdict;
  readonly fields: readonly FieldOutcome[];
  /** The capability (or 'header') the byte lies in. */
  readonly region: string;
  /** The byte opens a capability. */
  readonly capStart: boolean;
}

export interface ConfigMap {
  readonly function: CycleFunction;
  readonly cells: readonly MapCell[];
  readonly capabilities: readonly { readonly name: string; readonly offset: number; readonly size: number }[];
}

/** The bytes a field covers: its register offset plus its bit range ("15:0", "3"). */
export function fieldBytes(f: Pick<FieldOutcome, 'offset' | 'bits'>): number[] {
  const [hi, lo = hi] = f.bits.split(':').map(Number);
  const out: number[] = [];
  for (let b = Math.floor(lo / 8); b <= Math.floor(hi / 8); b++) out.push(f.offset + b);
  return out;
}

export function configMap(fn: CycleFunction, bytes: Uint8Array, fields: readonly FieldOutcome[]): ConfigMap {
  const caps = walkCapabilities(bytes).capabilities.filter((c) => !c.overlaps).map((c) => ({ name: c.name, offset: c.offset, size: c.size }));
  const byByte = new Map<number, FieldOutcome[]>();
  for (const f of fields.filter((x) => x.function === fn)) {
    for (const b of fieldBytes(f)) byByte.set(b, [...(byByte.get(b) ?? []), f]);
  }
  const cells: MapCell[] = [];
  for (let offset = 0; offset < CONFIG_SIZE; offset++) {
    const fs = byByte.get(offset) ?? [];
    const verdict = fs.length === 0 ? undefined : VERDICT_RANK.find((v) => fs.some((f) => f.verdict === v));
    const cap = caps.find((c) => offset >= c.offset && offset < c.offset + c.size);
    cells.push({ offset, fields: fs, region: cap?.name ?? (offset < 0x40 ? 'header' : ''), capStart: caps.some((c) => c.offset === offset), ...(verdict ? { verdict } : {}) });
  }
  return { function: fn, cells, capabilities: caps };
}

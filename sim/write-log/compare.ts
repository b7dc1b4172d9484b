/**
 * The model's writes against reality's, phase by phase and device by device, write by write in
 * order: the longest common subsequence of the two sequences is what matched (in order), the
 * rest is only in the model or only in reality. Two writes match when they hit the same space
 * (and BAR), offset and value; widths are compared only when both sides know them, since QEMU's
 * pci_cfg_write prints none. The kernel function is not compared: the real trace has none.
 */
import { WRITE_PHASES, type PhasedWrite, type WritePhase, type WriteSpace } from './entry.js';

export interface WriteMatch {
  readonly model: PhasedWrite;
  readonly real: PhasedWrite;
}

/** The agreement of one phase on one device. */
export interface GroupAgreement {
  readonly phase: WritePhase;
  readonly device: string;
  readonly matched: number;
  readonly onlyModel: number;
  readonly onlyReal: number;
}

export interface WriteLogComparison {
  /** Matched pairs, in phase order, then device, then write order. */
  readonly matched: readonly WriteMatch[];
  readonly onlyModel: readonly PhasedWrite[];
  readonly onlyReal: readonly PhasedWrite[];
  /** matched / (matched + onlyModel + onlyReal); 1 when neither side wrote anything. */
  readonly agreement: number;
  readonly groups: readonly GroupAgreement[];
}

export interface CompareOptions {
  /** Spaces to compare (default both). A trace of pci_cfg_write alone sees config space only: pass ['config']. */
  readonly spaces?: readonly WriteSpace[];
}

/** "0000:01:00.0" and "01:00.0" name the same function (domain 0, the only one on q35). */
const deviceKey = (d: string): string => d.toLowerCase().replace(/^0000:(?=[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$)/, '');

export function sameWrite(a: PhasedWrite, b: PhasedWrite): boolean {
  return a.space === b.space && (a.bar ?? 0) === (b.bar ?? 0) && a.offset === b.offset && a.value >>> 0 === b.value >>> 0
    && (a.width === null || b.width === null || a.width === b.width);
}

/** Longest common subsequence of `m` and `r` under sameWrite, as index pairs in order. */
function align(m: readonly PhasedWrite[], r: readonly PhasedWrite[]): [number, number][] {
  const n = m.length;
  const k = r.length;
  const len = Array.from({ length: n + 1 }, () => new Uint32Array(k + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = k - 1; j >= 0; j--) {
      len[i]![j] = sameWrite(m[i]!, r[j]!) ? len[i + 1]![j + 1]! + 1 : Math.max(len[i + 1]![j]!, len[i]![j + 1]!);
    }
  }
  const pairs: [number, number][] = [];
  for (let i = 0, j = 0; i < n && j < k;) {
    if (sameWrite(m[i]!, r[j]!) && len[i]![j] === len[i + 1]![j + 1]! + 1) pairs.push([i++, j++]);
    else if (len[i + 1]![j]! >= len[i]![j + 1]!) i++;
    else j++;
  }
  return pairs;
}

function groupKey(w: PhasedWrite): string {
  return `${w.phase}\u0000${deviceKey(w.device)}`;
}

export function compareWriteLogs(model: readonly PhasedWrite[], real: readonly PhasedWrite[], o: CompareOptions = {}): WriteLogComparison {
  const spaces = o.spaces ?? ['config', 'bar'];
  const groups = new Map<string, { phase: WritePhase; device: string; model: PhasedWrite[]; real: PhasedWrite[] }>();
  const add = (w: PhasedWrite, side: 'model' | 'real') => {
    if (!spaces.includes(w.space)) return;
    const key = groupKey(w);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { phase: w.phase, device: deviceKey(w.device), model: [], real: [] }));
    g[side].push(w);
  };
  for (const w of model) add(w, 'model');
  for (const w of real) add(w, 'real');
  const ordered = [...groups.values()].sort((a, b) => WRITE_PHASES.indexOf(a.phase) - WRITE_PHASES.indexOf(b.phase));
  const matched: WriteMatch[] = [];
  const onlyModel: PhasedWrite[] = [];
  const onlyReal: PhasedWrite[] = [];
  const agreements: GroupAgreement[] = [];
  for (const g of ordered) {
    const pairs = align(g.model, g.real);
    const inModel = new Set(pairs.map(([i]) => i));
    const inReal = new Set(pairs.map(([, j]) => j));
    matched.push(...pairs.map(([i, j]) => ({ model: g.model[i]!, real: g.real[j]! })));
    const m = g.model.filter((_, i) => !inModel.has(i));
    const r = g.real.filter((_, j) => !inReal.has(j));
    onlyModel.push(...m);
    onlyReal.push(...r);
    agreements.push({ phase: g.phase, device: g.device, matched: pairs.length, onlyModel: m.length, onlyReal: r.length });
  }
  const total = matched.length + onlyModel.length + onlyReal.length;
  return { matched, onlyModel, onlyReal, agreement: total === 0 ? 1 : matched.length / total, groups: agreements };
}

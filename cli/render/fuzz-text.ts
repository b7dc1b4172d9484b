/** The text summary of `lusim fuzz`: must-hold failures first, then the linux-blob hazards by class. */
import type { CorpusRecord } from '../../sim/fuzz/corpus.js';
import { MUST_HOLD } from '../../sim/fuzz/oracles.js';
import { signalExitCode } from '../../kexec/process/cleanup.js';
import type { FirstSeen } from '../../sim/fuzz/shard.js';
import { CARRIED_OUTCOMES, type ChangeTally } from '../../sim/fuzz/changes.js';

export interface FuzzSummaryHead {
  readonly seed: number;
  readonly campaign: string;
  readonly cases: number;
  /** The cases' cycles (semantic campaign: a case runs one device under 1 to 16). */
  readonly cycles?: number;
  readonly seconds: number;
  readonly shrinkSeconds?: number;
  readonly cyclesPerSecond: number;
  readonly jobs: number;
  readonly byClass: Record<string, number>;
  /** Every cycle's carried-state outcome by kind of change to kernel B's layouts (sim/fuzz/changes.ts). */
  readonly byChange?: ChangeTally;
  readonly failed: boolean;
  /** The signal that stopped the campaign early (cli/fuzz/interrupt.ts). */
  readonly interrupted?: NodeJS.Signals;
  /** The signal that stopped anything of the run, the campaign or its --qemu samples: the exit status is then 128 + its number. */
  readonly stoppedBy?: NodeJS.Signals;
}

/** At most this many hazards are listed per class in text (--json has them all). */
const PER_CLASS = 5;

export function renderFuzzSummary(s: FuzzSummaryHead, firsts: readonly FirstSeen[], records: readonly CorpusRecord[], corpus: string | undefined): string {
  const lines: string[] = [];
  lines.push(`lusim fuzz (${s.campaign}): seed ${s.seed}, ${s.cases} cases${s.cycles !== undefined ? ` (${s.cycles} cycles)` : ''} in ${s.seconds.toFixed(1)} s${s.shrinkSeconds ? ` (+${s.shrinkSeconds.toFixed(1)} s shrinking)` : ''} (${s.cyclesPerSecond.toFixed(0)} cycles/s, ${s.jobs} job${s.jobs > 1 ? 's' : ''}), ${firsts.length} distinct findings`);
  for (const [k, n] of Object.entries(s.byClass)) lines.push(`  ${MUST_HOLD.some((o) => k.startsWith(`${o}/`)) ? 'FAIL  ' : 'hazard'} ${k.padEnd(22)} ${n}`);
  if (s.byChange && Object.keys(s.byChange).length) lines.push('', ...renderChanges(s.byChange));
  const bySig = new Map(records.map((r) => [r.signature, r]));
  const shown = new Map<string, number>();
  for (const f of firsts) {
    const cls = `${f.oracle}/${f.kind}`;
    const must = MUST_HOLD.includes(f.oracle);
    const n = shown.get(cls) ?? 0;
    shown.set(cls, n + 1);
    if (!must && n >= PER_CLASS) continue;
    const r = bySig.get(f.signature);
    lines.push('', `${must ? 'FAIL' : 'hazard'} ${f.signature}`, `  ${(r ?? f).detail}`, `  first at case ${f.index} cycle ${f.cycle}${r ? (r.shrinkCycles ? `, shrunk in ${r.shrinkCycles} cycles` : `, not shrunk (${s.interrupted ? `${s.interrupted} stopped the run` : '--time ran out'})`) : ''}`);
    if (r) lines.push(`  ${corpus ? '' : '(with --corpus DIR) '}${r.command}`, ...(r.against ? [`  against: ${r.against}`] : []));
  }
  const hidden = [...shown].filter(([k]) => !MUST_HOLD.some((o) => k.startsWith(`${o}/`))).reduce((a, [, n]) => a + Math.max(0, n - PER_CLASS), 0);
  if (hidden) lines.push('', `${hidden} more hazards not listed (--json lists them all)`);
  if (s.interrupted) lines.push('', `${s.interrupted} stopped the run after ${s.cases} cases: the findings above are those cases' (the same seed without the signal runs further)`);
  lines.push('', s.failed ? `exit 1: an oracle that must hold failed (${MUST_HOLD.join(', ')})`
    : s.stoppedBy ? `exit ${signalExitCode(s.stoppedBy)}: stopped by ${s.stoppedBy}; no must-hold oracle failed in what ran`
      : 'exit 0: no must-hold oracle failed (linux-blob hazards are findings, not failures)');
  return `${lines.join('\n')}\n`;
}

/**
 * Every cycle that carried kernel A's state, by the kind of change to kernel B's layouts: what
 * kernel B made of it in each format (cycles refused, corrupted, stale, clean).
 */
function renderChanges(t: ChangeTally): string[] {
  const formats = [...new Set(Object.values(t).flatMap((byFormat) => Object.keys(byFormat)))].sort();
  const cell = (n: number) => String(n).padStart(10);
  const head = formats.map((f) => `${f.padStart(10 * CARRIED_OUTCOMES.length)}`).join('  ');
  const sub = formats.map(() => CARRIED_OUTCOMES.map((o) => o.padStart(10)).join('')).join('  ');
  const rows = Object.entries(t).map(([change, byFormat]) => `  ${change.padEnd(22)}${formats.map((f) => CARRIED_OUTCOMES.map((o) => cell(byFormat[f]?.[o] ?? 0)).join('')).join('  ')}`);
  return ["What kernel B made of kernel A's state, by the change to B's layouts (cycles of the plain and rfc-2025 flows):", `  ${''.padEnd(22)}${head}`, `  ${'change'.padEnd(22)}${sub}`, ...rows];
}

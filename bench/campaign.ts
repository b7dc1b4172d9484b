/**
 * The built-in fidelity campaign (issue 12's speed target: every built-in topology x the three
 * Debian series as a ring x plain and preserved kexec, under 15 minutes on this 2-core machine):
 * runs it once and prints the wall time against the target, the time per boot by mode and how
 * boot A came up, and the median of each phase. Usage:
 *   npx tsx bench/campaign.ts [--snapshots DIR] [--modes plain,preserved] [--kernels 6.1,6.12,7.x]
 * Needs the kernels and lusim's module cached (`lusim kernels fetch 6.1 6.12 7.x --module`).
 */
import { builtinTopologies } from '../kexec/topology/topologies.js';
import { runFidelity } from '../kexec/run/fidelity.js';
import type { KexecMode } from '../kexec/run/fidelity-truth.js';

const TARGET_S = 15 * 60;
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const snapshotDir = arg('--snapshots');
const modes = (arg('--modes') ?? 'plain,preserved').split(',') as KexecMode[];
const kernels = (arg('--kernels') ?? '6.1,6.12,7.x').split(',');

const r = await runFidelity(builtinTopologies(), { kernels, modes, fetch: false, ...(snapshotDir ? { snapshotDir } : {}), progress: (m) => console.error(m) });
const s = r.totalMs / 1000;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
console.log(`campaign: ${r.pairs.length} boots (${modes.join(' + ')}, kernels ${kernels.join(' ')}${snapshotDir ? ', snapshots' : ''}) in ${s.toFixed(0)} s; target ${TARGET_S} s: ${s <= TARGET_S ? 'met' : 'MISSED'}`);
for (const m of modes) {
  const ps = r.pairs.filter((p) => p.mode === m);
  console.log(`  ${m}: ${ps.length} boots, median ${(median(ps.map((p) => p.ms)) / 1000).toFixed(1)} s, ${ps.filter((p) => p.error).length} failed`);
}
const bootA = new Map<string, number>();
for (const p of r.pairs) bootA.set(p.bootA ?? 'failed', (bootA.get(p.bootA ?? 'failed') ?? 0) + 1);
console.log(`  boot A: ${[...bootA].map(([k, n]) => `${n} ${k}`).join(', ')}`);
const phases = new Map<string, number[]>();
for (const p of r.pairs) for (const ph of p.phases ?? []) phases.set(ph.name, [...(phases.get(ph.name) ?? []), ph.ms]);
console.log(`  phase medians: ${[...phases].map(([k, v]) => `${k} ${median(v)} ms`).join(', ')}`);
console.log(`  accelerator: ${Object.entries(r.summary.accelerators).map(([k, v]) => `${k} x${v.boots}`).join(', ') || '-'}`);
for (const p of r.pairs.filter((x) => x.error)) console.log(`  FAILED ${p.topology} ${p.from} -> ${p.to} ${p.mode}: ${p.error!.split('\n')[0]}`);

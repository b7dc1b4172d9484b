/**
 * A real cycle started from a snapshot of boot A against one that boots A cold (issue 12's speed
 * target: under 2.5 s wall from a snapshot on this 2-core machine). The cycle is `lusim cycle
 * DEVICE --qemu --snapshots DIR` (kexec/run/real-cycle.ts with snapshotDir): the first run boots cold
 * and saves, the next ones restore; each prints its wall time, how boot A came up and its phases,
 * then the medians. Run in-process, so lusim's own start-up (tsx, ~2-5 s) is not counted.
 * Usage: npx tsx bench/snapshot.ts [device] [from] [to] [restored runs]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRealCycle } from '../kexec/run/real-cycle.js';
import { parseRealDevices } from '../kexec/topology/real-devices.js';

const [device = 'e1000e', from = '6.12', to = '7.x', n = '5'] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'lusim-snap-'));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const restored: number[] = [];
const phases = new Map<string, number[]>();
try {
  for (let i = 0; i <= Number(n); i++) {
    const t0 = performance.now();
    const r = await runRealCycle({ endpoints: parseRealDevices(device), from, to, format: 'linux-blob', fetch: false, snapshotDir: dir });
    const ms = performance.now() - t0;
    if (!r.ok) throw new Error(`run ${i + 1}: ${r.error?.message}`);
    if (r.bootA === 'restored') {
      restored.push(ms);
      for (const p of r.phases) phases.set(p.name, [...(phases.get(p.name) ?? []), p.ms]);
    }
    console.log(`${device} ${from} -> ${to}, run ${i + 1}: ${(ms / 1000).toFixed(2)} s wall, boot A ${r.bootA}; ${r.phases.filter((p) => p.ms >= 50).map((p) => `${p.name} ${p.ms} ms`).join(', ')}`);
  }
  console.log(`restored cycles: median ${(median(restored) / 1000).toFixed(2)} s wall over ${restored.length} (target 2.5 s: ${median(restored) <= 2500 ? 'met' : 'NOT met'}); phase medians: ${[...phases].filter(([, v]) => median(v) >= 50).map(([k, v]) => `${k} ${median(v)} ms`).join(', ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

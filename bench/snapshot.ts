/**
 * Boot A from a snapshot vs cold (kexec/snapshot.ts), on a topology QEMU 7.2 can migrate (the
 * built-in `bridge`): the same fidelity pair (boot A, capture, kexec, boot B, capture) three
 * times against a fresh snapshot directory: cold (and save), restored, restored. Prints wall
 * times and the phases. Usage: npx tsx bench/snapshot.ts [topology] [from] [to]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinTopologies } from '../cli/commands/fidelity.js';
import { runFidelityPair } from '../kexec/fidelity.js';

const [name = 'bridge', from = '6.12', to = '7.x'] = process.argv.slice(2);
const t = builtinTopologies().find((x) => x.name === name);
if (!t) throw new Error(`no built-in topology ${name}`);
const dir = mkdtempSync(join(tmpdir(), 'lusim-snap-'));
try {
  for (let i = 0; i < 3; i++) {
    const r = await runFidelityPair(t, from, to, { fetch: false, snapshotDir: dir });
    if (r.error) throw new Error(r.error);
    const ph = (r.phases ?? []).filter((p) => ['boot A', 'restore A', 'snapshot A', 'kexec + boot B', 'qemu start', 'initramfs', 'driver plan'].includes(p.name)).map((p) => `${p.name} ${p.ms} ms`).join(', ');
    console.log(`${name} ${from} -> ${to}, run ${i + 1}: ${(r.ms / 1000).toFixed(2)} s wall, boot A ${r.bootA}; ${ph}; disagreements: ${r.resetMethods.filter((x) => !x.agree).length} reset_method, ${r.afterKexec.filter((x) => x.outcome === 'disagree').length} registers`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

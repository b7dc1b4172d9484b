/**
 * Simulated-cycle throughput (issue 4): cycles per second for the default device (save +
 * serialize + kexec + deserialize + restore + diff), per format, and the full matrix's run time.
 *   npx tsx bench/cycle.ts
 */
import { readFileSync } from 'node:fs';
import { buildFunction } from '../devices/device.js';
import { parseLspci } from '../devices/dump/lspci.js';
import { SPEC_PROFILE } from '../devices/profile.js';
import { runMatrix } from '../sim/cycle/matrix.js';
import { runCycle } from '../sim/cycle/run.js';

const [dump] = parseLspci(readFileSync('fixtures/qemu/e1000e.lspci', 'utf8'));
const make = () => buildFunction(dump, SPEC_PROFILE);

for (const format of ['linux-blob', 'lusim-v1'] as const) {
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < 3000) {
    await runCycle(make(), { from: '6.12', to: '7.1', format, flow: 'plain' });
    n++;
  }
  const s = (performance.now() - start) / 1000;
  console.log(`cycle e1000e 6.12 -> 7.1 plain/${format.padEnd(10)} ${(n / s).toFixed(0).padStart(6)} cycles/s (${((s / n) * 1000).toFixed(2)} ms each, model build included)`);
}
const t0 = performance.now();
const cells = await runMatrix(make);
console.log(`full matrix (6x6 kernel pairs x flows x formats): ${cells.length} cycles in ${((performance.now() - t0) / 1000).toFixed(2)} s`);

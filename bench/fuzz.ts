/**
 * `lusim fuzz` throughput (issue 10 "Speed"): fuzzed cycles per second on the default case space
 * (every kernel pair, both formats, every flow), for --jobs 1 and --jobs 2, campaign only (no
 * shrinking), and the speed-up. Issue targets: 10k cycles/s per core, jobs 2 >= 1.8x jobs 1.
 *   npx tsx bench/fuzz.ts [cases]
 */
import { FLOWS } from '../sim/cycle/run.js';
import { SAVE_FORMATS } from '../sim/cycle/carry.js';
import { ORACLES } from '../sim/fuzz/oracles.js';
import { KERNEL_PROFILE_IDS } from '../sim/linux/profiles.js';
import { runCampaign } from '../cli/fuzz/pool.js';

const runs = Number(process.argv[2] ?? 4000);
const config = { seed: 1, kernels: KERNEL_PROFILE_IDS, formats: SAVE_FORMATS, flows: FLOWS, oracles: ORACLES };
// Each run starts cold (--jobs 1 in this fresh thread, --jobs 2 in fresh workers), as a user's run does.
// CPU seconds (process.cpuUsage counts every thread) beside the wall clock: on a shared machine the
// wall-clock speed-up says how busy the other sessions were; cycles per CPU second say what lusim
// costs, and their ratio is the parallel efficiency the second job could give on a free core.
const rates: number[] = [];
const perCpu: number[] = [];
for (const jobs of [2, 1]) {
  const cpu0 = process.cpuUsage();
  const r = await runCampaign(config, { jobs, runs, shrink: false });
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const rate = r.cases / (r.campaignMs / 1000);
  rates.push(rate);
  perCpu.push(r.cases / cpuS);
  console.log(`fuzz --jobs ${jobs}: ${r.cases} cycles in ${(r.campaignMs / 1000).toFixed(2)} s = ${rate.toFixed(0).padStart(5)} cycles/s, ${cpuS.toFixed(2)} CPU s = ${(r.cases / cpuS).toFixed(0)} cycles per CPU second (${r.firsts.length} distinct findings; worker start-up included)`);
}
console.log(`speed-up --jobs 2 / --jobs 1: ${(rates[0] / rates[1]).toFixed(2)}x wall; parallel efficiency (cycles per CPU second, jobs 2 / jobs 1): ${(perCpu[0] / perCpu[1]).toFixed(2)}`);

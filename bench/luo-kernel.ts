/**
 * The LUO kernel's build (kexec/luo-kernel/build.ts) on this machine: source fetch + unpack, config,
 * `nice -n 10 make -j2 bzImage modules`. Cold when the cache has no build for the current options;
 * prints the figures (the CI budget question of issue 14: the test command must stay inside 90 min).
 */
import { ensureLuoKernel } from '../kexec/luo-kernel/build.js';

const t0 = performance.now();
const b = await ensureLuoKernel({ progress: (m) => process.stderr.write(`luo-kernel: ${m}\n`) });
const total = (performance.now() - t0) / 1000;
process.stdout.write(`LUO kernel ${b.debianVersion} options ${b.optionsHash}: ${b.cached ? 'cached' : 'built'} in ${total.toFixed(1)} s wall (this run)\n`);
for (const [k, v] of Object.entries(b.seconds)) process.stdout.write(`  ${k.padEnd(8)} ${v.toFixed(1)} s${b.cached ? ' (the cold build)' : ''}\n`);
process.stdout.write(`  build dir ${b.dir}\n`);

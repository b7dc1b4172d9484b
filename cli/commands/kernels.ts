/** `lusim kernels list|fetch`: real Debian kernel images in the cache (kexec/kernels/kernels.ts). */
import type { Command } from 'commander';
import Table from 'cli-table3';
import { cacheRoot, fetchKernel, KernelError, listKernels, parseSeries, TEST_KERNELS, type KernelImage } from '../../kexec/kernels/kernels.js';
import { buildModule } from '../../kexec/guest-module/build.js';
import { ensureLuoKernel } from '../../kexec/luo-kernel/build.js';
import { action, printJson } from '../errors.js';
import { log } from '../log.js';

function row(k: KernelImage): Record<string, string> {
  return { release: k.release, upstream: k.upstream, profile: k.profile, package: k.packages.join(' '), suite: k.suite, vmlinuz: k.vmlinuz, config: k.config, modules: k.modulesDir };
}

function print(kernels: readonly KernelImage[], json: boolean): void {
  if (json) return printJson(kernels.map(row));
  if (kernels.length === 0) {
    process.stdout.write(`No kernels cached in ${cacheRoot()}. Run: lusim kernels fetch 6.1 6.12 7.x\n`);
    return;
  }
  process.stdout.write(`${kernelsTable(kernels)}\n`);
}

export function kernelsTable(kernels: readonly Pick<KernelImage, 'release' | 'upstream' | 'profile' | 'suite' | 'vmlinuz'>[]): string {
  // cli-table3 colours head and border even when stdout is a file or a pipe: plain, as the suite summary.
  const table = new Table({ head: ['release', 'upstream', 'profile', 'suite', 'vmlinuz'], style: { head: [], border: [] } });
  for (const k of kernels) table.push([k.release, k.upstream, k.profile, k.suite, k.vmlinuz]);
  return table.toString();
}

export function register(program: Command): void {
  const cmd = program.command('kernels').description('Debian kernel images for the real run, cached in $XDG_CACHE_HOME/lusim');

  cmd
    .command('list')
    .description('list cached kernels with their version, files and model profile')
    .option('--json', 'print JSON')
    .action(action((opts: { json?: boolean }) => print(listKernels(), opts.json === true)));

  cmd
    .command('fetch')
    .description('fetch the newest Debian cloud kernel of each series (6.1, 6.12, 7.x from sid, 7.3 from trixie-backports; or profile ids 6.1.y, 6.12.y, 7.1, 7.2); cached kernels are reused')
    .argument('[series...]', 'kernel series or profile ids')
    .option('--for-tests', 'fetch what the end-to-end tests boot (6.1, 6.12, 7.x, 7.3)')
    .option('--refresh', 'look the newest package up again even when the series is cached')
    .option('--module', 'also build lusim\'s guest module for each kernel (Debian headers; a sid build root for 7.x, a trixie-backports one for 7.3), as --saver kernel needs')
    .option('--json', 'print JSON')
    .action(
      action(async (series: string[], opts: { forTests?: boolean; refresh?: boolean; module?: boolean; json?: boolean }) => {
        const wanted = opts.forTests ? [...TEST_KERNELS] : series;
        if (wanted.length === 0) throw new KernelError('unknown-series', 'Name the kernels to fetch (e.g. `lusim kernels fetch 6.1 6.12 7.x`) or pass --for-tests.');
        const specs = wanted.map((s) => parseSeries(s));
        const fetched: KernelImage[] = [];
        for (const spec of specs) {
          const { kernel, cached } = await fetchKernel(spec, { refresh: opts.refresh === true, progress: (m) => log.info(`kernels: ${m}`) });
          log.info(`kernels: ${spec}: ${kernel.release} ${cached ? '(cached)' : '(fetched)'}`);
          if (opts.module) {
            const m = await buildModule(kernel, cacheRoot(), (msg) => log.info(`kernels: ${kernel.release}: ${msg}`));
            log.info(`kernels: ${kernel.release}: guest module ${m.cached ? 'cached' : `built in ${m.ms} ms`} (${m.path})`);
          }
          fetched.push(kernel);
        }
        print(fetched, opts.json === true);
      }),
    );
  cmd
    .command('build-luo')
    .description('build lusim\'s LUO kernel (Debian linux-source-7.3 with LIVEUPDATE, KEXEC_HANDOVER and a minimal q35 config; cached by source version and options) for the real LUO route; about 5-6 min cold on 2 cores')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        const b = await ensureLuoKernel({ progress: (m) => log.info(`kernels: luo: ${m}`) });
        if (opts.json) return printJson({ dir: b.dir, debianVersion: b.debianVersion, optionsHash: b.optionsHash, cached: b.cached, seconds: b.seconds });
        process.stdout.write(`LUO kernel ${b.debianVersion} (options ${b.optionsHash}) ${b.cached ? 'cached' : 'built'}: ${b.dir}; the cold build took ${Object.entries(b.seconds).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}\n`);
      }),
    );
}

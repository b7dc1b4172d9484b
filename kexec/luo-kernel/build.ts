/**
 * lusim's LUO kernel (issue 14, "Real LUO"): no Debian kernel enables CONFIG_LIVEUPDATE or
 * CONFIG_KEXEC_HANDOVER (luo-kernel.md), so one is built from Debian's own linux-source-7.3
 * (trixie-backports) with the minimal q35 config of config.ts. The result is a build directory like
 * any user's (kexec/kernels/user-kernel.ts takes it as `--from/--to`): bzImage, .config, and the tree the
 * guest module builds against; every driver is built in, so no modules are installed.
 *
 * Cache: `<cache>/luo-kernel/src/<debian version>/linux-source-7.3/` (the unpacked tree, `.complete`
 * written last) and `<cache>/luo-kernel/build/<debian version>-<options hash>/` (make O=, with
 * `luo-kernel.json` written last, holding the build's wall times). Built with `nice -n 10 make -j2`
 * (the machine is shared); the cold build was measured at about 5.5 min here (luo-kernel.md).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LusimError } from '../../devices/errors.js';
import { parseKconfig } from '../../sim/linux/kconfig.js';
import { aptUpdate, candidateVersion, download, lastLines, privateApt, run } from '../kernels/apt.js';
import { cacheRoot } from '../kernels/kernels.js';
import { LUO_KERNEL_OPTIONS } from './config.js';

export type LuoKernelErrorCode =
  /** A host tool the build needs is missing (flex, bison, libelf-dev, gcc, make). */
  | 'host-missing'
  /** linux-source-7.3 could not be found or unpacked. */
  | 'source'
  /** An option did not stick after olddefconfig (a dependency is missing from config.ts). */
  | 'config'
  /** make failed: details.output holds its last lines. */
  | 'build-failed';

export class LuoKernelError extends LusimError<LuoKernelErrorCode> {}

const PACKAGE = 'linux-source-7.3';

export interface LuoKernelBuild {
  /** The build directory (make O=): a user kernel for kexec/kernels/user-kernel.ts. */
  readonly dir: string;
  readonly debianVersion: string;
  readonly optionsHash: string;
  readonly cached: boolean;
  /** Wall times of this build's steps (from luo-kernel.json when cached: the cold build's). */
  readonly seconds: Readonly<Record<string, number>>;
}

export function optionsHash(): string {
  return createHash('sha256').update(LUO_KERNEL_OPTIONS.map(([k, v]) => `${k}=${v}`).join('\n')).digest('hex').slice(0, 12);
}

async function must(cmd: string, args: readonly string[], what: string, cwd?: string): Promise<void> {
  const res = await run(cmd, args, cwd).catch((e: unknown) => {
    throw new LuoKernelError('host-missing', `${cmd} is not installed (${(e as Error).message}): apt-get install make gcc flex bison libelf-dev bc.`, { cmd });
  });
  if (res.code !== 0) throw new LuoKernelError('build-failed', `${what} failed: ${lastLines(res.stdout + res.stderr, 6)}`, { cmd, args, output: lastLines(res.stdout + res.stderr, 40) });
}

/** Debian's linux-source-7.3 unpacked once; returns the tree and the package version. */
async function source(root: string, progress: (m: string) => void): Promise<{ tree: string; debianVersion: string }> {
  const ctx = privateApt(root, 'trixie-backports');
  let debianVersion = await candidateVersion(ctx, PACKAGE);
  if (!debianVersion) {
    progress('updating private apt lists for Debian trixie-backports');
    await aptUpdate(ctx);
    debianVersion = await candidateVersion(ctx, PACKAGE);
  }
  if (!debianVersion) throw new LuoKernelError('source', `${PACKAGE} is not in Debian trixie-backports any more: lusim's kexec/luo-kernel/build.ts needs the newer source package's name.`);
  const dir = join(root, 'luo-kernel', 'src', debianVersion);
  const tree = join(dir, 'linux-source-7.3');
  if (existsSync(join(dir, '.complete'))) return { tree, debianVersion };
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'deb'), { recursive: true });
  try {
    progress(`downloading ${PACKAGE} ${debianVersion} (about 167 MB)`);
    await download(ctx, [`${PACKAGE}=${debianVersion}`], join(tmp, 'deb'));
    const deb = readdirSync(join(tmp, 'deb')).find((f) => f.endsWith('.deb'));
    if (!deb) throw new LuoKernelError('source', `apt-get download ${PACKAGE} left no .deb`);
    await must('dpkg-deb', ['-x', join(tmp, 'deb', deb), join(tmp, 'deb', 'x')], `dpkg-deb -x ${deb}`);
    progress(`unpacking ${PACKAGE} (about 1.8 GB)`);
    await must('tar', ['-xJf', join(tmp, 'deb', 'x', 'usr', 'src', `${PACKAGE}.tar.xz`), '-C', tmp], `tar -xJf ${PACKAGE}.tar.xz`);
    rmSync(join(tmp, 'deb'), { recursive: true, force: true });
    writeFileSync(join(tmp, '.complete'), `${debianVersion}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { tree, debianVersion };
}

/** Every option of config.ts as the final .config has it (olddefconfig drops what it cannot satisfy). */
export function missingOptions(configText: string): string[] {
  const cfg = parseKconfig(configText);
  return LUO_KERNEL_OPTIONS.filter(([k, v]) => cfg.get(k) !== v).map(([k, v]) => `${k}=${v} (got ${cfg.get(k) ?? 'unset'})`);
}

/** A complete build for the current options already in the cache (any source version), or undefined. */
export function findLuoKernel(root: string = cacheRoot()): string | undefined {
  const dir = join(root, 'luo-kernel', 'build');
  if (!existsSync(dir)) return undefined;
  const hash = optionsHash();
  const name = readdirSync(dir).filter((d) => d.endsWith(`-${hash}`) && existsSync(join(dir, d, 'luo-kernel.json'))).sort().pop();
  return name ? join(dir, name) : undefined;
}

/** The LUO kernel's build directory, built once per source version and options. */
export async function ensureLuoKernel(o: { root?: string; progress?: (m: string) => void; jobs?: number } = {}): Promise<LuoKernelBuild> {
  const root = o.root ?? cacheRoot();
  const progress = o.progress ?? (() => undefined);
  const s0 = performance.now();
  const { tree, debianVersion } = await source(root, progress);
  const sourceSeconds = Math.round((performance.now() - s0) / 100) / 10;
  const hash = optionsHash();
  const dir = join(root, 'luo-kernel', 'build', `${debianVersion}-${hash}`);
  const marker = join(dir, 'luo-kernel.json');
  if (existsSync(marker)) return { dir, debianVersion, optionsHash: hash, cached: true, seconds: (JSON.parse(readFileSync(marker, 'utf8')) as { seconds: Record<string, number> }).seconds };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const seconds: Record<string, number> = { source: sourceSeconds };
  const timed = async (name: string, f: () => Promise<void>) => {
    const t0 = performance.now();
    await f();
    seconds[name] = Math.round((performance.now() - t0) / 100) / 10;
  };
  const make = (args: readonly string[]) => must('nice', ['-n', '10', 'make', '-C', tree, `O=${dir}`, ...args], `make ${args.join(' ')}`);
  await timed('config', async () => {
    await make(['tinyconfig']);
    const set = LUO_KERNEL_OPTIONS.flatMap(([k, v]) => (v === 'y' ? ['--enable', k] : ['--set-val', k, v]));
    await must(join(tree, 'scripts', 'config'), ['--file', join(dir, '.config'), ...set], 'scripts/config');
    await make(['olddefconfig']);
  });
  const missing = missingOptions(readFileSync(join(dir, '.config'), 'utf8'));
  if (missing.length > 0) throw new LuoKernelError('config', `the LUO kernel's config lost ${missing.join(', ')} in olddefconfig: a dependency is missing from kexec/luo-kernel/config.ts.`, { missing });
  progress(`building the LUO kernel in ${dir} (nice -n 10 make -j${o.jobs ?? 2}; about 5-6 min cold on 2 cores)`);
  // `modules` with no =m options still writes Module.symvers, which lusim_pci.ko's modpost reads.
  await timed('build', () => make([`-j${o.jobs ?? 2}`, 'bzImage', 'modules']));
  writeFileSync(marker, `${JSON.stringify({ package: PACKAGE, debianVersion, optionsHash: hash, seconds }, null, 2)}\n`);
  return { dir, debianVersion, optionsHash: hash, cached: false, seconds };
}

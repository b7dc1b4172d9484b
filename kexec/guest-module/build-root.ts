/**
 * A Debian root to build modules for the 7.x kernels in: sid's (built with gcc-16) and
 * trixie-backports' (7.3.4-1~bpo13+1, built with gcc-14: its config's CONFIG_CC_VERSION_TEXT
 * "x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19)"; trixie's glibc 2.41 is newer than bookworm's too).
 * The sid kernels were built with gcc-16, and
 * their kbuild helpers (modpost, genksyms) need glibc 2.38, which bookworm (2.36) lacks; gcc-12
 * fails on -fmin-function-alignment=16 (../shared/docs/guest-module.md). So the module is built
 * inside a root made by mmdebstrap (itself `apt-get download mmdebstrap` + `dpkg-deb -x`, nothing
 * installed on the host) with gcc-16, make and the kernel's headers package, one root per kernel
 * release under `<cache>/buildroot/<release>/`; `root.json`, written last, marks it complete.
 *
 * sid's Release file may carry a Valid-Until earlier than today (seen 2026-12-01), hence
 * Acquire::Check-Valid-Until "false"; the archive signature is still checked. objtool needs /proc
 * inside the root: the build runs in a private mount namespace (unshare --mount) that mounts it.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { download, lastLines, run, SYSTEM_APT } from '../kernels/apt.js';
import type { KernelImage } from '../kernels/kernels.js';
import { GuestModuleError, WITHOUT_MODULE } from './errors.js';

const MIRROR = 'http://deb.debian.org/debian';

export interface BuildRoot {
  readonly dir: string;
  /** `make -C` directory inside the root (an absolute path as the chroot sees it). */
  readonly buildDir: string;
}

async function mmdebstrap(root: string, progress: (m: string) => void): Promise<string> {
  const dir = join(root, 'tools', 'mmdebstrap');
  const bin = join(dir, 'usr', 'bin', 'mmdebstrap');
  if (existsSync(bin)) return bin;
  progress('downloading mmdebstrap (bookworm) to make the sid build root');
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await download(SYSTEM_APT, ['mmdebstrap'], tmp);
  const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
  const res = deb ? await run('dpkg-deb', ['-x', join(tmp, deb), tmp]) : { code: 1, stderr: 'no .deb downloaded' };
  if (res.code !== 0) throw new GuestModuleError('build-root', `unpacking mmdebstrap failed: ${lastLines(res.stderr, 3)}`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return bin;
}

/** The distribution each kernel's suite builds in: its mmdebstrap suite, extra sources, compiler. */
interface RootDef {
  readonly dist: string;
  readonly gcc: string;
  /** mmdebstrap positional mirror arguments (each a sources.list line or a URL). */
  readonly mirrors: readonly string[];
  readonly aptopts: readonly string[];
}

const ROOTS: Record<string, RootDef> = {
  sid: { dist: 'sid', gcc: 'gcc-16', mirrors: [MIRROR], aptopts: [] },
  // Backports sit at priority 100; Default-Release makes them the candidates, so the headers'
  // exact-version dependencies (-common, linux-kbuild) resolve there.
  'trixie-backports': { dist: 'trixie', gcc: 'gcc-14', mirrors: [`deb ${MIRROR} trixie main`, `deb ${MIRROR} trixie-backports main`], aptopts: ['APT::Default-Release "trixie-backports"'] },
};

/** Whether kernel `k` builds its module in a Debian root (its compiler and glibc are newer than the host's). */
export function needsBuildRoot(k: KernelImage): boolean {
  return k.suite in ROOTS;
}

export function buildRootDir(root: string, k: KernelImage): string {
  return join(root, 'buildroot', k.release);
}

/** The build root for kernel `k` (made once, about 25-70 s and 460 MB). Needs root for mmdebstrap --mode=root. */
export async function ensureBuildRoot(k: KernelImage, root: string, progress: (m: string) => void = () => undefined): Promise<BuildRoot> {
  const dir = buildRootDir(root, k);
  const buildDir = `/usr/src/linux-headers-${k.release}`;
  if (existsSync(join(dir, 'root.json'))) return { dir, buildDir };
  const def = ROOTS[k.suite];
  if (!def) throw new GuestModuleError('build-root', `no build root is defined for ${k.release} (suite ${k.suite}).`, { release: k.release });
  if (process.getuid?.() !== 0) throw new GuestModuleError('build-root', `building lusim's module for ${k.release} needs a Debian ${def.dist} build root made with mmdebstrap as root; run once as root (${WITHOUT_MODULE}).`, { release: k.release });
  const bin = await mmdebstrap(root, progress);
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(root, 'buildroot'), { recursive: true });
  const include = [def.gcc, 'make', 'libc6-dev', `linux-headers-${k.release}=${k.debianVersion}`, 'pahole', 'kmod', 'xz-utils'];
  progress(`making the Debian ${def.dist} build root for ${k.release} (mmdebstrap, about a minute)`);
  const aptopts = ['Acquire::Check-Valid-Until "false"', ...def.aptopts].map((o) => `--aptopt=${o}`);
  const res = await run('perl', [bin, '--variant=apt', '--mode=root', '--quiet', `--include=${include.join(',')}`, ...aptopts, def.dist, tmp, ...def.mirrors]);
  if (res.code !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new GuestModuleError('build-root', `mmdebstrap could not make the ${def.dist} build root for ${k.release}: ${lastLines(res.stderr, 4)}. Check access to deb.debian.org; the headers package linux-headers-${k.release}=${k.debianVersion} may have left ${k.suite} (\`lusim kernels fetch --refresh ${k.series}\`).`, { release: k.release, stderr: lastLines(res.stderr, 20) });
  }
  writeFileSync(join(tmp, 'root.json'), `${JSON.stringify({ release: k.release, include }, null, 2)}\n`, { mode: 0o644 });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { dir, buildDir };
}

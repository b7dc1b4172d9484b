/**
 * A Debian sid root to build modules for the sid 7.x kernels in. They were built with gcc-16, and
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
import { download, lastLines, run, SYSTEM_APT } from '../apt.js';
import type { KernelImage } from '../kernels.js';
import { GuestModuleError } from './errors.js';

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

export function buildRootDir(root: string, k: KernelImage): string {
  return join(root, 'buildroot', k.release);
}

/** The sid root for kernel `k` (made once, about 25-70 s and 460 MB). Needs root for mmdebstrap --mode=root. */
export async function ensureBuildRoot(k: KernelImage, root: string, progress: (m: string) => void = () => undefined): Promise<BuildRoot> {
  const dir = buildRootDir(root, k);
  const buildDir = `/usr/src/linux-headers-${k.release}`;
  if (existsSync(join(dir, 'root.json'))) return { dir, buildDir };
  if (process.getuid?.() !== 0) throw new GuestModuleError('build-root', `building lusim's module for ${k.release} needs a sid build root made with mmdebstrap as root; run once as root (or use --saver host).`, { release: k.release });
  const bin = await mmdebstrap(root, progress);
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(root, 'buildroot'), { recursive: true });
  const include = ['gcc-16', 'make', 'libc6-dev', `linux-headers-${k.release}=${k.debianVersion}`, 'pahole', 'kmod', 'xz-utils'];
  progress(`making the Debian sid build root for ${k.release} (mmdebstrap, about a minute)`);
  const res = await run('perl', [bin, '--variant=apt', '--mode=root', '--quiet', `--include=${include.join(',')}`, '--aptopt=Acquire::Check-Valid-Until "false"', 'sid', tmp, MIRROR]);
  if (res.code !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new GuestModuleError('build-root', `mmdebstrap could not make the sid build root for ${k.release}: ${lastLines(res.stderr, 4)}. Check access to deb.debian.org; the headers package linux-headers-${k.release}=${k.debianVersion} may have left sid (\`lusim kernels fetch --refresh 7\`).`, { release: k.release, stderr: lastLines(res.stderr, 20) });
  }
  writeFileSync(join(tmp, 'root.json'), `${JSON.stringify({ release: k.release, include }, null, 2)}\n`, { mode: 0o644 });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { dir, buildDir };
}

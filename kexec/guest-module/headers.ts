/**
 * Debian's linux-headers packages for a cached kernel, fetched with `apt-get download` and unpacked
 * with `dpkg-deb -x` into `<cache>/headers/<release>/` (never installed: installing the 6.12 headers
 * pulls in linux-image, initramfs-tools and systemd upgrades; ../shared/docs/guest-module.md).
 *
 * Three packages at the kernel's own Debian version: the flavour's headers (its .config,
 * Module.symvers and a one-line Makefile including the -common tree by absolute path), the
 * -common headers, and the kbuild helpers (modpost, genksyms). The Makefile is pointed at the
 * unpacked -common tree. `headers.json`, written last, marks a complete unpack.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { download, lastLines, privateApt, run, SYSTEM_APT, type AptContext } from '../kernels/apt.js';
import type { KernelImage } from '../kernels/kernels.js';
import { GuestModuleError, WITHOUT_MODULE } from './errors.js';

export interface HeadersTree {
  readonly release: string;
  /** The flavour's tree, the `make -C` directory. */
  readonly buildDir: string;
  readonly packages: readonly string[];
}

/** `6.1.0-57-cloud-amd64` -> `6.1.0-57`; `7.2.13+deb14-cloud-amd64` -> `7.2.13+deb14`. */
export function abiName(release: string): string {
  return release.replace(/-cloud-amd64$/, '');
}

/** Package names pinned to the kernel's Debian version (`name=version`). */
export function headerPackages(k: KernelImage): string[] {
  const abi = abiName(k.release);
  // bookworm's 6.1 kbuild package is named after the series; later ones after the ABI name.
  const kbuild = k.series === '6.1' ? 'linux-kbuild-6.1' : `linux-kbuild-${abi}`;
  return [`linux-headers-${k.release}`, `linux-headers-${abi}-common`, kbuild].map((p) => `${p}=${k.debianVersion}`);
}

function aptFor(k: KernelImage, root: string): AptContext {
  return k.suite === 'bookworm' ? SYSTEM_APT : privateApt(root, k.suite === 'sid' ? 'sid' : 'bookworm');
}

function loadTree(dir: string): HeadersTree | undefined {
  const file = join(dir, 'headers.json');
  if (!existsSync(file)) return undefined;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as { release: string; packages: string[] };
    const buildDir = join(dir, 'root', 'usr', 'src', `linux-headers-${m.release}`);
    return existsSync(join(buildDir, 'Makefile')) ? { release: m.release, buildDir, packages: m.packages } : undefined;
  } catch {
    return undefined;
  }
}

/** The headers tree for `k`, fetched and unpacked once. */
export async function fetchHeaders(k: KernelImage, root: string, progress: (m: string) => void = () => undefined): Promise<HeadersTree> {
  const target = join(root, 'headers', k.release);
  const have = loadTree(target);
  if (have) return have;
  const packages = headerPackages(k);
  const tmp = join(root, 'headers', `.fetch-${k.release}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'debs'), { recursive: true, mode: 0o755 });
  try {
    progress(`downloading ${packages.join(', ')}`);
    await download(aptFor(k, root), packages, join(tmp, 'debs')).catch((e: unknown) => {
      throw new GuestModuleError('headers-missing', `Debian's headers for ${k.release} could not be downloaded (${packages.join(' ')}): ${e instanceof Error ? e.message : String(e)} Without them lusim cannot build its guest module: ${WITHOUT_MODULE}, or fetch a kernel whose headers are in the archive (\`lusim kernels fetch --refresh\`).`, { release: k.release, packages });
    });
    for (const deb of readdirSync(join(tmp, 'debs')).filter((f) => f.endsWith('.deb'))) {
      const res = await run('dpkg-deb', ['-x', join(tmp, 'debs', deb), join(tmp, 'root')]);
      if (res.code !== 0) throw new GuestModuleError('headers-missing', `dpkg-deb -x ${deb} failed: ${lastLines(res.stderr, 4)}.`, { deb });
    }
    const buildDir = join(tmp, 'root', 'usr', 'src', `linux-headers-${k.release}`);
    const makefile = join(buildDir, 'Makefile');
    if (!existsSync(makefile)) throw new GuestModuleError('headers-missing', `the headers packages for ${k.release} have no usr/src/linux-headers-${k.release}/Makefile: Debian changed their layout; kexec/guest-module/headers.ts needs updating.`, { packages });
    // "include /usr/src/linux-headers-X-common/Makefile": the -common tree is unpacked beside it.
    const finalSrc = join(target, 'root', 'usr', 'src');
    writeFileSync(makefile, readFileSync(makefile, 'utf8').replace(/\/usr\/src\//g, `${finalSrc}/`));
    rmSync(join(tmp, 'debs'), { recursive: true, force: true });
    writeFileSync(join(tmp, 'headers.json'), `${JSON.stringify({ release: k.release, packages }, null, 2)}\n`, { mode: 0o644 });
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return loadTree(target)!;
}

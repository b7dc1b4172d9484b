/**
 * A kernel the user built, named by path instead of a Debian series (issue 14, "Your own kernel"):
 *  - a build directory: `arch/x86/boot/bzImage`, `.config`, `include/config/kernel.release`, and the
 *    tree itself as the `make -C` target for lusim's guest module;
 *  - a kernel image (bzImage / vmlinuz): its config beside it as `config-<release>` (the /boot
 *    layout) or `config` (Debian 7.x's /usr/lib/modules/<release>/), or `.config` of the tree it sits in, or `<modules>/build/.config`; the headers tree
 *    from `<modules>/build` (the symlink `make modules_install` leaves).
 * Modules (`make modules_install INSTALL_MOD_PATH=DIR` puts them in DIR/lib/modules/<release>)
 * are taken from an explicit DIR, else looked for under the build directory and at
 * /lib/modules/<release>; they are required only when a driver lusim's guests need is a module.
 *
 * The release comes from the image itself: the x86 boot protocol's setup header has "HdrS" at
 * 0x202 and `kernel_version` at 0x20e, the offset of the version string minus 0x200
 * (Documentation/arch/x86/boot.rst; arch/x86/boot/header.S `kernel_version: .word version_string
 * - 0x200`), whose first word is `uname -r`.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { LusimError } from '../../devices/errors.js';
import { parseKconfig, type KconfigValue } from '../../sim/linux/kconfig.js';
import { profileForKernel } from '../../sim/linux/profile-for-kernel.js';
import type { KernelProfileId } from '../../sim/linux/profile.js';
import { DEVICE_DRIVERS } from '../guest/initramfs.js';
import { cacheRoot, debianPackageVersion, upstreamOf, type KernelImage } from './kernels.js';

export type UserKernelErrorCode =
  /** The path is neither a bzImage nor a build directory holding one. */
  | 'not-a-kernel'
  /** No .config / config-<release> for the image. */
  | 'no-config'
  /** A driver the guests need is a module and no modules for the release were found. */
  | 'no-modules'
  /** The parts disagree: the tree's kernel.release or the modules are for another release. */
  | 'mismatch';

export class UserKernelError extends LusimError<UserKernelErrorCode> {}

/** A spec names a user kernel when it is a path: it has a slash or names something on disk. */
export function isKernelPath(spec: string): boolean {
  return spec.includes('/') || existsSync(spec);
}

export interface UserKernelOptions {
  /** `make modules_install INSTALL_MOD_PATH=DIR`'s DIR, or the lib/modules/<release> directory itself. */
  readonly modules?: string;
  /** The model profile, instead of the one chosen from the version and config. */
  readonly profile?: KernelProfileId;
  /** Refuse a build whose guest drivers are modules lusim cannot find (default true: the real run boots it). */
  readonly modulesNeeded?: boolean;
  readonly root?: string;
}

/** The first 64 KiB of a file: the setup header and the version string are in the real-mode part. */
function head(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
  } finally {
    closeSync(fd);
  }
}

/** `uname -r` and the whole version string of an x86 bzImage, or a typed error saying what the file is. */
export function imageVersion(path: string): { release: string; version: string } {
  const b = head(path);
  const notKernel = (what: string) => new UserKernelError('not-a-kernel', `${path} is not an x86 kernel image: ${what}. Give arch/x86/boot/bzImage (or a /boot/vmlinuz-*), or the build directory.`, { path });
  if (b.subarray(0, 4).equals(Buffer.from('\x7fELF'))) throw notKernel('it is an ELF file (vmlinux?)');
  if (b.length < 0x210 || b.toString('latin1', 0x202, 0x206) !== 'HdrS') throw notKernel('no "HdrS" boot-protocol header at 0x202');
  const at = b.readUInt16LE(0x20e) + 0x200;
  const end = b.indexOf(0, at);
  if (b.readUInt16LE(0x20e) === 0 || end < 0) throw notKernel('its setup header has no kernel_version string');
  const version = b.toString('latin1', at, end);
  const release = version.split(' ')[0] ?? '';
  if (!/^\d+\.\d+/.test(release)) throw notKernel(`its version string "${version.slice(0, 60)}" does not start with a release`);
  return { release, version };
}

interface Located {
  readonly image: string;
  /** The build directory, when the spec is one (or the image sits in one). */
  readonly tree?: string;
}

function locate(spec: string): Located {
  const path = resolve(spec);
  if (!existsSync(path)) throw new UserKernelError('not-a-kernel', `no such file or directory: ${spec} (--from/--to take a Debian series, a profile id, a kernel image or a build directory).`, { spec });
  if (statSync(path).isDirectory()) {
    const image = join(path, 'arch/x86/boot/bzImage');
    if (!existsSync(image)) throw new UserKernelError('not-a-kernel', `${spec} is a directory without arch/x86/boot/bzImage: not a built kernel tree (run \`make bzImage\` there, or give the image itself).`, { spec });
    return { image, tree: path };
  }
  // .../arch/x86/boot/bzImage inside a tree: the tree is four levels up.
  const tree = resolve(dirname(path), '../../..');
  return basename(dirname(path)) === 'boot' && existsSync(join(tree, '.config')) && existsSync(join(tree, 'Makefile')) ? { image: path, tree } : { image: path };
}

const hasModules = (d: string): boolean => existsSync(join(d, 'modules.order')) || existsSync(join(d, 'kernel'));

function modulesOf(release: string, explicit: string | undefined, tree: string | undefined): string | undefined {
  if (explicit) {
    const dir = resolve(explicit);
    const found = [join(dir, 'lib/modules', release), join(dir, 'usr/lib/modules', release), dir].find(hasModules);
    if (found) return found;
    const others = [join(dir, 'lib/modules'), join(dir, 'usr/lib/modules')].filter((d) => existsSync(d)).flatMap((d) => readdirSync(d));
    throw new UserKernelError('mismatch', `${explicit} holds no modules for ${release}${others.length ? ` (it has ${others.join(', ')})` : ''}: run \`make modules_install INSTALL_MOD_PATH=${explicit}\` for this build.`, { release, modules: explicit });
  }
  const candidates = [...(tree ? [join(tree, 'lib/modules', release), join(tree, 'usr/lib/modules', release)] : []), join('/lib/modules', release)];
  return candidates.find(hasModules);
}

function configOf(image: string, release: string, tree: string | undefined, modules: string | undefined): string {
  // config-<release> beside it is the /boot layout; a bare `config` beside it Debian 7.x's /usr/lib/modules/<release>/.
  const candidates = [...(tree ? [join(tree, '.config')] : []), join(dirname(image), `config-${release}`), join(dirname(image), 'config'), ...(modules ? [join(modules, 'build/.config'), join(modules, 'config')] : [])];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new UserKernelError('no-config', `no kernel config for ${image} (${release}): looked at ${candidates.join(', ')}. Give the build directory, or put the config beside the image as config-${release}.`, { image, candidates });
  return found;
}

/** The tree lusim's guest module builds against: the build directory, or lib/modules/R/build. */
function headersOf(tree: string | undefined, modules: string | undefined): string | undefined {
  const candidates = [...(tree ? [tree] : []), ...(modules ? [join(modules, 'build')] : [])];
  return candidates.find((d) => existsSync(join(d, 'Makefile')) && existsSync(join(d, 'include/config/kernel.release')));
}

/** Drivers of lusim's guests that this config builds as modules (they must be found). */
function moduleDrivers(config: ReadonlyMap<string, KconfigValue>): string[] {
  return DEVICE_DRIVERS.filter((d) => config.get(d.config.replace(/^CONFIG_/, '')) === 'm').map((d) => d.module);
}

const sha = (...parts: (string | Buffer)[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
};

/** Resolve a user's kernel (image or build directory) into what the real run boots. */
export function userKernel(spec: string, o: UserKernelOptions = {}): KernelImage {
  const { image, tree } = locate(spec);
  const { release, version } = imageVersion(image);
  if (tree && existsSync(join(tree, 'include/config/kernel.release'))) {
    const treeRelease = readFileSync(join(tree, 'include/config/kernel.release'), 'utf8').trim();
    if (treeRelease !== release) throw new UserKernelError('mismatch', `${tree} is configured for ${treeRelease} but its bzImage is ${release}: the image is stale; run \`make bzImage\` again.`, { tree, release, treeRelease });
  }
  const modulesDir = modulesOf(release, o.modules, tree);
  const configPath = configOf(image, release, tree, modulesDir);
  const configText = readFileSync(configPath, 'utf8');
  const config = parseKconfig(configText);
  if (config.size === 0) throw new UserKernelError('no-config', `${configPath} has no CONFIG_ lines: not a kernel config.`, { config: configPath });
  const needed = moduleDrivers(config);
  if (!modulesDir && needed.length > 0 && o.modulesNeeded !== false) {
    throw new UserKernelError('no-modules', `kernel ${release} builds ${needed.join(', ')} as modules and no modules for ${release} were found${tree ? ` under ${tree}` : ''} or in /lib/modules/${release}: run \`make modules_install INSTALL_MOD_PATH=DIR\` and pass --modules-a/--modules-b DIR.`, { release, needed });
  }
  // Debian's images say the package version ("... Debian 6.1.192-3 ..."): 6.1.0-N hides it in the release.
  const debian = debianPackageVersion(version);
  const upstream = debian ? upstreamOf(debian) : release.replace(/[-+].*$/, '');
  const chosen = profileForKernel(upstream, config);
  const profile = o.profile ?? chosen.id;
  const key = sha(readFileSync(image), configText);
  // lusim's own files about this build (the alias index) go here, never into the user's tree.
  const dir = join(o.root ?? cacheRoot(), 'user-kernels', key);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const headersDir = headersOf(tree, modulesDir);
  return {
    series: 'user', release, upstream, debianVersion: debian ?? '', packages: [], suite: 'user', profile,
    dir, vmlinuz: image, config: configPath, modulesDir: modulesDir ?? join(dir, 'no-modules'),
    build: {
      spec, key, ...(headersDir ? { headersDir } : {}),
      why: o.profile ? `named with --profile-a/--profile-b (the version and config suggest ${chosen.id}: ${chosen.why})` : chosen.why,
      warnings: !o.profile && chosen.warning ? [chosen.warning] : [],
    },
  };
}

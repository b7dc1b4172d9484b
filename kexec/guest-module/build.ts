/**
 * lusim's guest module (lusim_pci.c), built on demand for the exact kernel a guest boots and cached
 * by kernel release and source hash: `<cache>/modules/<release>/<srcHash>/lusim_pci.ko` beside a
 * `module.json` holding the .ko's size and SHA-256. A cached module is used only when its bytes
 * still hash to that and carry the release's vermagic; anything else is rebuilt, never loaded.
 *
 * Bookworm kernels (6.1, 6.12) build with the host's gcc-12 against the unpacked headers, a user's
 * kernel against its own build tree; sid 7.x and trixie-backports 7.3 kernels inside their Debian
 * build root (build-root.ts). Module BTF is skipped
 * (CONFIG_DEBUG_INFO_BTF_MODULES=): it needs the kernel's vmlinux and pahole, and nothing here reads it.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastLines, run } from '../kernels/apt.js';
import type { KernelImage } from '../kernels/kernels.js';
import { ensureBuildRoot, needsBuildRoot } from './build-root.js';
import { fsErrorReason } from '../../devices/errors.js';
import { GuestModuleError, WITHOUT_MODULE } from './errors.js';
import { fetchHeaders } from './headers.js';

const SOURCE_DIR = dirname(fileURLToPath(import.meta.url));
const SOURCES = ['lusim_pci.c', 'Kbuild'];
export const MODULE_FILE = 'lusim_pci.ko';

export interface BuiltModule {
  readonly release: string;
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly sha256: string;
  readonly srcHash: string;
  readonly cached: boolean;
  /** Wall time of headers + build-root + make (0 when cached). */
  readonly ms: number;
}

export function sourceHash(dir: string = SOURCE_DIR): string {
  const h = createHash('sha256');
  for (const f of SOURCES) h.update(`${f}\0`).update(readSource(dir, f));
  return h.digest('hex').slice(0, 16);
}

/** A file of the module's source beside this code: missing only from a damaged install or a dist/ being rebuilt. */
function readSource(dir: string, file: string): Buffer {
  const path = join(dir, file);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new GuestModuleError('source-missing', `cannot read the guest module's source ${path} (${fsErrorReason(e)}): reinstall lusim, or run npm run build again in a checkout; ${WITHOUT_MODULE}.`, { path });
  }
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** modinfo's vermagic starts with the release (include/linux/vermagic.h VERMAGIC_STRING). */
function hasVermagic(ko: Uint8Array, release: string): boolean {
  return Buffer.from(ko).includes(Buffer.from(`vermagic=${release} `));
}

/** The cached module if its bytes are intact and for this release; undefined otherwise. */
export function loadCachedModule(dir: string, release: string, srcHash: string): BuiltModule | undefined {
  const path = join(dir, MODULE_FILE);
  try {
    const m = JSON.parse(readFileSync(join(dir, 'module.json'), 'utf8')) as { sha256: string; size: number };
    const bytes = readFileSync(path);
    if (bytes.length !== m.size || sha256(bytes) !== m.sha256 || !hasVermagic(bytes, release)) return undefined;
    return { release, path, bytes, sha256: m.sha256, srcHash, cached: true, ms: 0 };
  } catch {
    return undefined;
  }
}

/**
 * Moves a finished build into its cache directory. Two runs may build the same module at once
 * (`lusim fuzz --qemu N --jobs 2`, `lusim suite --qemu --jobs 2`): an intact module already there
 * is kept and ours dropped, so neither run removes the other's while it reads it; a broken one is
 * replaced.
 */
export function publishModule(out: string, dir: string, intact: () => boolean): void {
  if (!intact()) {
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(out, dir);
      return;
    } catch (e) {
      // The other run's rename came between our rmSync and ours (ENOTEMPTY): use its module.
      if (!intact()) throw e;
    }
  }
  rmSync(out, { recursive: true, force: true });
}

/** The `make -C` tree for a kernel the host's compiler builds for: a user's build tree, or Debian's bookworm headers. */
async function hostTree(k: KernelImage, root: string, progress: (m: string) => void): Promise<string> {
  if (!k.build) return (await fetchHeaders(k, root, progress)).buildDir;
  if (k.build.headersDir) return k.build.headersDir;
  throw new GuestModuleError('headers-missing', `no build tree for ${k.release} (${k.build.spec}): lusim's guest module builds against the kernel's build directory (give the directory instead of the image, or keep lib/modules/${k.release}/build); ${WITHOUT_MODULE}.`, { release: k.release });
}

async function make(k: KernelImage, root: string, work: string, progress: (m: string) => void): Promise<string> {
  const args = (buildDir: string, m: string) => ['-C', buildDir, `M=${m}`, 'CONFIG_DEBUG_INFO_BTF_MODULES=', 'modules'];
  if (!needsBuildRoot(k)) {
    const tree = await hostTree(k, root, progress);
    const res = await run('make', args(tree, work)).catch((e: unknown) => {
      throw new GuestModuleError('host-missing', `make is not installed (${(e as Error).message}): run \`apt-get install make gcc-12\` (scripts/setup-system.sh installs them).`);
    });
    if (res.code !== 0) throw buildFailed(k, res.stdout + res.stderr);
    return join(work, MODULE_FILE);
  }
  const br = await ensureBuildRoot(k, root, progress);
  const inRoot = `/build/${work.split('/').pop()!}`;
  cpSync(work, join(br.dir, inRoot), { recursive: true });
  try {
    // $1 is the root; the rest is make's argv, passed as words (never through a shell string).
    const script = 'mount -t proc proc "$1/proc" && r=$1 && shift && exec chroot "$r" make "$@"';
    const res = await run('unshare', ['--mount', '--fork', '--', 'sh', '-c', script, 'sh', br.dir, ...args(br.buildDir, inRoot)]);
    if (res.code !== 0) throw buildFailed(k, res.stdout + res.stderr);
    cpSync(join(br.dir, inRoot, MODULE_FILE), join(work, MODULE_FILE));
    return join(work, MODULE_FILE);
  } finally {
    rmSync(join(br.dir, inRoot), { recursive: true, force: true });
  }
}

function buildFailed(k: KernelImage, output: string): GuestModuleError {
  return new GuestModuleError('build-failed', `building lusim's guest module for ${k.release} failed: ${lastLines(output, 6)}. The module source is kexec/guest-module/lusim_pci.c; ${WITHOUT_MODULE}.`, { release: k.release, output: lastLines(output, 30) });
}

/** The module bytes for each kernel's release (kexec/run/real-session.ts GuestOptions.guestModules). */
export async function buildModules(kernels: readonly KernelImage[], root: string, progress?: (m: string) => void): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const k of kernels) if (!out.has(k.release)) out.set(k.release, (await buildModule(k, root, (m) => progress?.(`module ${k.release}: ${m}`))).bytes);
  return out;
}

/** The module for kernel `k`: from the cache when intact, else built (headers fetched as needed). */
export async function buildModule(k: KernelImage, root: string, progress: (m: string) => void = () => undefined): Promise<BuiltModule> {
  const srcHash = sourceHash();
  // A user's rebuilds keep their release: their modules are told apart by the build's own key.
  const perKernel = join(root, 'modules', k.build ? `${k.release}+user-${k.build.key}` : k.release);
  const dir = join(perKernel, srcHash);
  const cached = loadCachedModule(dir, k.release, srcHash);
  if (cached) return cached;
  const t0 = performance.now();
  mkdirSync(perKernel, { recursive: true, mode: 0o755 });
  const work = mkdtempSync(join(perKernel, '.build-'));
  try {
    for (const f of SOURCES) cpSync(join(SOURCE_DIR, f), join(work, f));
    progress(`building the guest module for ${k.release}`);
    const built = await make(k, root, work, progress);
    // As Debian's INSTALL_MOD_STRIP: debug info is 3/4 of the file, and every initramfs byte costs boot time under TCG.
    const stripped = await run('strip', ['--strip-debug', built]);
    if (stripped.code !== 0) throw buildFailed(k, `strip --strip-debug: ${stripped.stderr}`);
    const ko = readFileSync(built);
    if (!hasVermagic(ko, k.release)) throw buildFailed(k, `the built module's vermagic is not ${k.release}`);
    const out = `${work}.out`;
    mkdirSync(out, { mode: 0o755 });
    writeFileSync(join(out, MODULE_FILE), ko, { mode: 0o644 });
    writeFileSync(join(out, 'module.json'), `${JSON.stringify({ release: k.release, srcHash, size: ko.length, sha256: sha256(ko) }, null, 2)}\n`, { mode: 0o644 });
    publishModule(out, dir, () => loadCachedModule(dir, k.release, srcHash) !== undefined);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const built = loadCachedModule(dir, k.release, srcHash)!;
  return { ...built, cached: false, ms: Math.round(performance.now() - t0) };
}

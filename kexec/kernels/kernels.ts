/**
 * Real Debian kernel images, fetched by package name into the lusim cache and unpacked with
 * `dpkg-deb -x` (no root, nothing installed), each recorded with its version, files and the kernel
 * profile the model uses for it (design.md "Linux behaviour": Debian kernels map to profiles).
 *
 * Cache layout: `<cache>/kernels/<release>/` holds the unpacked packages plus `kernel.json`, written
 * last, so a directory without it is an interrupted fetch and is redone.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LusimError } from '../../devices/errors.js';
import { recordFiles, verifyFiles, type FileRecord } from './cache-verify.js';
import type { KernelProfileId } from '../../sim/linux/profile.js';
import { aptUpdate, candidateVersion, download, lastLines, privateApt, run, searchNames, SYSTEM_APT, type AptContext } from './apt.js';

export type KernelErrorCode =
  /** The user named a kernel series lusim does not know. */
  | 'unknown-series'
  /** No package of the series is in the reachable archives. */
  | 'no-package'
  /** dpkg-deb failed or the unpacked package lacks vmlinuz/config. */
  | 'bad-package'
  /** The kernel is not in the cache (and fetching was not asked for). */
  | 'not-cached'
  /** A cached kernel's kernel.json is unreadable, or a file it records changed since the fetch. */
  | 'corrupt-cache';

export class KernelError extends LusimError<KernelErrorCode> {}

/** Debian kernel series lusim runs: bookworm's 6.1 and 6.12 cloud kernels, sid's newest 7.x, trixie-backports' 7.3. */
export type KernelSeries = '6.1' | '6.12' | '7' | '7.3';

/** Kernel profile ids of the model (design.md: Debian kernels map to profiles; a user's build to any). */
export type { KernelProfileId } from '../../sim/linux/profile.js';

/** A kernel the user built (kexec/kernels/user-kernel.ts), not a Debian package. */
export interface UserBuild {
  /** What the user named: the image or the build directory. */
  readonly spec: string;
  /** The `make -C` tree lusim's guest module builds against (the build directory, or lib/modules/R/build). */
  readonly headersDir?: string;
  /** Cache key of everything lusim derives from this build (a hash of the image and config). */
  readonly key: string;
  /** How the profile was chosen (version and config, or --profile-a/--profile-b). */
  readonly why: string;
  readonly warnings: readonly string[];
}

export interface KernelImage {
  /** `user`: a build the user gave by path (`build` says where its parts are). */
  readonly series: KernelSeries | 'user';
  /** `uname -r`, e.g. `6.12.117+deb12-cloud-amd64`. */
  readonly release: string;
  /** Upstream kernel version, e.g. `6.12.117` (6.1's ABI name hides it: taken from the package version). */
  readonly upstream: string;
  /** Debian package version, e.g. `6.12.117-1~deb12u1`. */
  readonly debianVersion: string;
  readonly packages: readonly string[];
  readonly suite: string;
  readonly profile: KernelProfileId;
  /** Absolute paths into the cache. */
  readonly dir: string;
  readonly vmlinuz: string;
  readonly config: string;
  readonly modulesDir: string;
  readonly build?: UserBuild;
}

/** A kernel of lusim's cache: a Debian package. */
export type DebianKernel = KernelImage & { readonly series: KernelSeries };

/** Relative-path manifest as stored in kernel.json (the cache may move). */
type Manifest = Omit<KernelImage, 'dir' | 'vmlinuz' | 'config' | 'modulesDir' | 'series' | 'build'> & {
  series: KernelSeries;
  vmlinuz: string; config: string; modulesDir: string; format: 1;
  /** vmlinuz and config as fetched (cache-verify.ts); added on first use to caches made before it. */
  files?: Record<string, FileRecord>;
};

interface SeriesDef {
  readonly suite: 'bookworm' | 'sid' | 'trixie-backports';
  /** Regex for `apt-cache search --names-only`, and the same as a RegExp capturing the release and its sort key. */
  readonly search: string;
  readonly match: RegExp;
  readonly packages: (release: string) => string[];
  readonly files: (release: string) => { vmlinuz: string; config: string; modulesDir: string };
}

// From 7.x Debian splits the image package: vmlinuz in linux-binary(-unsigned), config in
// linux-base, modules in linux-modules; everything under /usr/lib/modules/<release>.
const SID_7: SeriesDef = {
  suite: 'sid',
  search: '^linux-binary-unsigned-7\\.[0-9]+\\.[0-9]+\\+deb[0-9]+-cloud-amd64$',
  match: /^linux-binary-unsigned-(7\.(\d+)\.(\d+)\+deb\d+-cloud-amd64)$/,
  packages: (r) => [`linux-binary-unsigned-${r}`, `linux-base-${r}`, `linux-modules-${r}`],
  files: (r) => ({ vmlinuz: `usr/lib/modules/${r}/vmlinuz.unsigned`, config: `usr/lib/modules/${r}/config`, modulesDir: `usr/lib/modules/${r}` }),
};

/** Same package layout as sid's 7.x. */
const TRIXIE_BACKPORTS_7_3: SeriesDef = {
  ...SID_7,
  suite: 'trixie-backports',
  search: '^linux-binary-unsigned-7\\.3\\.[0-9]+\\+deb[0-9]+-cloud-amd64$',
  match: /^linux-binary-unsigned-(7\.3\.(\d+)\+deb\d+-cloud-amd64)$/,
};

const SERIES: Record<KernelSeries, SeriesDef> = {
  '6.1': {
    suite: 'bookworm',
    search: '^linux-image-6\\.1\\.0-[0-9]+-cloud-amd64-unsigned$',
    match: /^linux-image-(6\.1\.0-(\d+)-cloud-amd64)-unsigned$/,
    packages: (r) => [`linux-image-${r}-unsigned`],
    files: (r) => ({ vmlinuz: `boot/vmlinuz-${r}`, config: `boot/config-${r}`, modulesDir: `lib/modules/${r}` }),
  },
  '6.12': {
    suite: 'bookworm',
    search: '^linux-image-6\\.12\\.[0-9]+\\+deb12-cloud-amd64-unsigned$',
    match: /^linux-image-(6\.12\.(\d+)\+deb12-cloud-amd64)-unsigned$/,
    packages: (r) => [`linux-image-${r}-unsigned`],
    files: (r) => ({ vmlinuz: `boot/vmlinuz-${r}`, config: `boot/config-${r}`, modulesDir: `lib/modules/${r}` }),
  },
  '7': SID_7,
  '7.3': TRIXIE_BACKPORTS_7_3,
};

export const ALL_SERIES: readonly KernelSeries[] = ['6.1', '6.12', '7', '7.3'];

/** Accepts a series (`6.1`, `6.12`, `7`, `7.x`, `7.2`, `7.3`) or a profile id (`6.1.y`, `6.12.y`, `7.1`, `7.2`, `7.3`). */
export function parseSeries(spec: string): KernelSeries {
  const s = spec.trim();
  if (s === '6.1' || s === '6.1.y') return '6.1';
  if (s === '6.12' || s === '6.12.y') return '6.12';
  if (s === '7.3') return '7.3';
  if (/^7(\.(x|y|\d+))?$/.test(s)) return '7';
  throw new KernelError('unknown-series', `Unknown kernel "${spec}": use 6.1, 6.12, 7.x (sid) or 7.3 (trixie-backports), or a profile id: 6.1.y, 6.12.y, 7.1, 7.2, 7.3.`, { spec });
}

/**
 * The model profile for a Debian kernel (design.md): bookworm 6.1.0-N is 6.1.y; bookworm 6.12.x
 * carries the error-recoverability backport from 6.12.70 on (6.12.y), older 6.12 is plain 6.12;
 * 7.x maps by its minor version to the 7.1, 7.2 or 7.3 profile (each read in its own source);
 * a 7.x older than 7.1 has no profile of its own and uses 7.1, a newer one uses 7.3 (the nearest).
 */
export function profileFor(series: KernelSeries, upstream: string): KernelProfileId {
  if (series === '6.1') return '6.1.y';
  if (series === '7' || series === '7.3') {
    const minor = Number(upstream.split('.')[1] ?? '1');
    return minor >= 3 ? '7.3' : minor === 2 ? '7.2' : '7.1';
  }
  const patch = Number(upstream.split('.')[2] ?? '0');
  return patch >= 70 ? '6.12.y' : '6.12';
}

/** `$XDG_CACHE_HOME/lusim`, default ~/.cache/lusim. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.length > 0 ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'lusim');
}

function kernelsDir(root: string): string {
  return join(root, 'kernels');
}

function load(dir: string): DebianKernel | undefined {
  const file = join(dir, 'kernel.json');
  if (!existsSync(file)) return undefined;
  const m = readManifest(dir);
  if (m.format !== 1) return undefined;
  const { format: _format, files: _files, ...rest } = m;
  // The profile is derived again, not trusted from the manifest: a kernel cached before its
  // version had a profile of its own (7.2.x was cached as 7.1) maps to the profile lusim has now.
  return { ...rest, profile: profileFor(m.series, m.upstream), dir, vmlinuz: join(dir, m.vmlinuz), config: join(dir, m.config), modulesDir: join(dir, m.modulesDir) };
}

function corrupt(dir: string, what: string): KernelError {
  return new KernelError('corrupt-cache', `the cached kernel in ${dir} is damaged: ${what}. Remove that directory and fetch it again: rm -rf '${dir}' && lusim kernels fetch`, { dir, what });
}

function readManifest(dir: string): Manifest {
  let m: unknown;
  try {
    m = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8'));
  } catch (e) {
    throw corrupt(dir, `kernel.json is not readable JSON (${(e as Error).message})`);
  }
  const ok = typeof m === 'object' && m !== null && ['vmlinuz', 'config', 'modulesDir', 'release', 'series', 'profile'].every((k) => typeof (m as Record<string, unknown>)[k] === 'string');
  if (!ok) throw corrupt(dir, 'kernel.json lacks its release, series, profile or file paths');
  return m as Manifest;
}

/** Atomically (write, then rename): other runs may be reading the same cache. */
function writeManifest(dir: string, m: Manifest): void {
  const tmp = join(dir, `.kernel.json.${process.pid}`);
  writeFileSync(tmp, `${JSON.stringify(m, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, join(dir, 'kernel.json'));
}

/**
 * Check the cached kernel's vmlinuz and config against what was recorded at fetch time (size and
 * mtime, then SHA-256): a corrupted image must not cost a boot timeout with no console output.
 * A cache made before the records existed gets them now.
 */
export function verifyKernel(k: KernelImage): void {
  const m = readManifest(k.dir);
  if (!m.files) {
    writeManifest(k.dir, { ...m, files: recordFiles(k.dir, [m.vmlinuz, m.config]) });
    return;
  }
  const { problems, updated } = verifyFiles(k.dir, m.files);
  if (problems.length > 0) throw corrupt(k.dir, problems.map((p) => `${p.file} ${p.problem}`).join('; '));
  if (updated) writeManifest(k.dir, { ...m, files: updated });
}

/** Kernels in the cache, oldest series first, newest release first within a series. */
export function listKernels(root: string = cacheRoot()): DebianKernel[] {
  const dir = kernelsDir(root);
  if (!existsSync(dir)) return [];
  const out: DebianKernel[] = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const k = load(join(dir, name));
    if (k) out.push(k);
  }
  return out.sort((a, b) => ALL_SERIES.indexOf(a.series) - ALL_SERIES.indexOf(b.series) || compareVersions(b.upstream, a.upstream));
}

/** The newest cached kernel of a series or profile, or undefined. */
export function findKernel(spec: string, root: string = cacheRoot()): DebianKernel | undefined {
  const series = parseSeries(spec);
  return listKernels(root).find((k) => k.series === series);
}

/** Like findKernel, but a missing kernel is a typed error saying how to fetch it. */
export function requireKernel(spec: string, root: string = cacheRoot()): DebianKernel {
  const k = findKernel(spec, root);
  if (!k) throw new KernelError('not-cached', `Kernel ${spec} is not in the cache (${kernelsDir(root)}): run \`lusim kernels fetch ${spec}\`.`, { spec, cache: root });
  return k;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map(Number);
  const pb = b.split(/[.-]/).map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The Debian package version a kernel's version string names (`uname -v`, or the image's banner:
 * "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-08)" -> `6.1.158-1`); undefined for another
 * kernel's. Debian's release name (6.1.0-N) hides it.
 */
export function debianPackageVersion(kernelVersion: string): string | undefined {
  return /\bDebian (\S+)/.exec(kernelVersion)?.[1];
}

/** Upstream version from the Debian package version: `6.1.192-2` -> `6.1.192`, `7.2.13-1` -> `7.2.13`. */
export function upstreamOf(debianVersion: string): string {
  return debianVersion.replace(/^\d+:/, '').split(/[-~+]/)[0]!;
}

export interface FetchOptions {
  readonly root?: string;
  /** Look the newest package up again even when one of the series is cached. */
  readonly refresh?: boolean;
  readonly progress?: (message: string) => void;
}

export interface FetchResult {
  readonly kernel: KernelImage;
  readonly cached: boolean;
}

/** Private apt lists exist (a previous update succeeded). */
function hasLists(ctx: AptContext, root: string): boolean {
  const lists = join(root, 'apt', ctx.name, 'lists');
  return existsSync(lists) && readdirSync(lists).some((f) => f.endsWith('_Packages') || f.includes('_Packages.'));
}

/** Newest downloadable package of the series in `ctx`: [release, debianVersion] or undefined. */
async function newest(def: SeriesDef, ctx: AptContext): Promise<{ release: string; debianVersion: string } | undefined> {
  const names = await searchNames(ctx, def.search);
  const releases = names
    .map((n) => def.match.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => compareVersions(b.slice(2).join('.'), a.slice(2).join('.')));
  for (const m of releases) {
    const debianVersion = await candidateVersion(ctx, m[0]);
    if (debianVersion) return { release: m[1]!, debianVersion };
  }
  return undefined;
}

async function locate(series: KernelSeries, root: string, refresh: boolean, progress: (m: string) => void) {
  const def = SERIES[series];
  if (def.suite === 'bookworm') {
    // The system's sources are bookworm: use its lists as they are; fall back to a private copy
    // when they are missing or stale (no package of the series listed, or none downloadable).
    const found = await newest(def, SYSTEM_APT);
    if (found && !refresh) return { ...found, ctx: SYSTEM_APT };
  }
  const ctx = privateApt(root, def.suite);
  if (refresh || !hasLists(ctx, root)) {
    progress(`updating private apt lists for Debian ${def.suite} (${join(root, 'apt', def.suite)})`);
    await aptUpdate(ctx);
  }
  const found = await newest(def, ctx);
  if (!found) {
    throw new KernelError('no-package', `No ${series} cloud kernel package found in Debian ${def.suite} (searched ${def.search}). The archive may have moved on: run \`lusim kernels fetch --refresh ${series}\`, or check deb.debian.org access.`, { series, suite: def.suite });
  }
  return { ...found, ctx };
}

/** Fetch (or reuse from the cache) the newest kernel of a series. Idempotent. */
export async function fetchKernel(spec: string, opts: FetchOptions = {}): Promise<FetchResult> {
  const root = opts.root ?? cacheRoot();
  const progress = opts.progress ?? (() => undefined);
  const series = parseSeries(spec);
  const have = findKernel(series, root);
  if (have && !opts.refresh) return { kernel: have, cached: true };

  const { release, debianVersion, ctx } = await locate(series, root, opts.refresh === true, progress);
  const target = join(kernelsDir(root), release);
  const existing = load(target);
  if (existing) return { kernel: existing, cached: true };

  const def = SERIES[series];
  const packages = def.packages(release);
  const tmp = join(kernelsDir(root), `.fetch-${release}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'debs'), { recursive: true });
  try {
    progress(`downloading ${packages.join(', ')} (${debianVersion}, ${ctx.name === 'system' ? 'system apt sources' : `private ${ctx.name} sources`})`);
    await download(ctx, packages, join(tmp, 'debs'));
    const rootfs = join(tmp, 'root');
    mkdirSync(rootfs);
    for (const deb of readdirSync(join(tmp, 'debs')).filter((f) => f.endsWith('.deb'))) {
      progress(`unpacking ${deb}`);
      const res = await run('dpkg-deb', ['-x', join(tmp, 'debs', deb), rootfs]);
      if (res.code !== 0) throw new KernelError('bad-package', `dpkg-deb -x ${deb} failed: ${lastLines(res.stderr, 4)}. Remove ${tmp} and retry.`, { deb });
    }
    const files = def.files(release);
    for (const [what, rel] of Object.entries(files)) {
      if (!existsSync(join(rootfs, rel))) throw new KernelError('bad-package', `Package ${packages.join(', ')} has no ${what} at ${rel}: Debian changed the package layout; lusim's kexec/kernels/kernels.ts needs updating.`, { packages, path: rel });
    }
    const upstream = upstreamOf(debianVersion);
    const manifest: Manifest = {
      format: 1,
      series,
      release,
      upstream,
      debianVersion,
      packages,
      suite: ctx.name === 'system' ? 'bookworm' : ctx.name,
      profile: profileFor(series, upstream),
      vmlinuz: join('root', files.vmlinuz),
      config: join('root', files.config),
      modulesDir: join('root', files.modulesDir),
    };
    rmSync(join(tmp, 'debs'), { recursive: true, force: true });
    writeManifest(tmp, { ...manifest, files: recordFiles(tmp, [manifest.vmlinuz, manifest.config]) });
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const kernel = load(target)!;
  progress(`cached ${kernel.release} (profile ${kernel.profile}, ${(statSync(kernel.vmlinuz).size / 1e6).toFixed(1)} MB vmlinuz)`);
  return { kernel, cached: false };
}

/** `CONFIG_X` value from the kernel's config: 'y', 'm', a string, or undefined when not set. */
export function kernelConfig(kernel: KernelImage): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(kernel.config, 'utf8').split('\n')) {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!.replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

/** What `lusim kernels fetch --for-tests` fetches: the kernels the e2e suites boot (7.3: test/e2e/real-cycle-7x.test.ts). */
export const TEST_KERNELS: readonly KernelSeries[] = ['6.1', '6.12', '7', '7.3'];

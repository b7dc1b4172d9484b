/**
 * apt as a package fetcher, never as an installer: `apt-cache` to find kernel packages,
 * `apt-get download` to fetch them. Bookworm packages come through the system's own sources;
 * Debian sid (7.x kernels), and bookworm when the system's lists are missing or stale, come through
 * a private apt configuration under the lusim cache, so the system's sources.list and lists stay
 * untouched (apt.conf(5): Dir::Etc::sourcelist, Dir::Etc::sourceparts, Dir::State::Lists,
 * Dir::Cache).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LusimError } from '../../devices/errors.js';

export type AptErrorCode =
  /** apt-get / apt-cache is not installed (not a Debian-like host). */
  | 'apt-missing'
  /** `apt-get update` failed: the archive is unreachable or its signature is unknown. */
  | 'apt-update'
  /** `apt-get download` failed. */
  | 'apt-download'
  /** A query (`apt-cache`) failed. */
  | 'apt-query';

export class AptError extends LusimError<AptErrorCode> {}

const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** The archives lusim knows how to reach privately. */
export const PRIVATE_SOURCES = {
  bookworm: [
    `deb [signed-by=${KEYRING}] http://deb.debian.org/debian bookworm main`,
    `deb [signed-by=${KEYRING}] http://deb.debian.org/debian bookworm-updates main`,
    `deb [signed-by=${KEYRING}] http://deb.debian.org/debian-security bookworm-security main`,
  ],
  sid: [`deb [signed-by=${KEYRING}] http://deb.debian.org/debian sid main`],
  /** Source packages (apt-get source): the system has no deb-src line. */
  'bookworm-src': [`deb-src [signed-by=${KEYRING}] http://deb.debian.org/debian bookworm main`],
  // Debian's 7.3 kernels (7.3.4-1~bpo13+1) are in trixie-backports, not in sid (which has 7.2.13).
  'trixie-backports': [`deb [signed-by=${KEYRING}] http://deb.debian.org/debian trixie-backports main`],
} as const;

export type PrivateSuite = keyof typeof PRIVATE_SOURCES;

/** Where apt runs: the system's configuration, or a private one rooted in the lusim cache. */
export interface AptContext {
  readonly name: 'system' | PrivateSuite;
  /** Extra `-o` options for every apt-get / apt-cache call (empty for the system). */
  readonly options: readonly string[];
}

export const SYSTEM_APT: AptContext = { name: 'system', options: [] };

/**
 * A private apt configuration for `suite` under `<cacheRoot>/apt/<suite>`. Its own sources list,
 * no sources.list.d, its own lists and archive cache; List-Cleanup off so an update never touches
 * anything outside this directory.
 */
export function privateApt(cacheRoot: string, suite: PrivateSuite): AptContext {
  const dir = join(cacheRoot, 'apt', suite);
  const lists = join(dir, 'lists');
  const cache = join(dir, 'cache');
  mkdirSync(join(lists, 'partial'), { recursive: true });
  mkdirSync(join(cache, 'archives', 'partial'), { recursive: true });
  const sourcelist = join(dir, 'sources.list');
  writeFileSync(sourcelist, `${PRIVATE_SOURCES[suite].join('\n')}\n`);
  return {
    name: suite,
    options: [
      '-o', `Dir::Etc::sourcelist=${sourcelist}`,
      '-o', 'Dir::Etc::sourceparts=-',
      '-o', `Dir::State::Lists=${lists}`,
      '-o', `Dir::Cache=${cache}`,
      '-o', 'APT::Get::List-Cleanup=0',
      // The system's dpkg lock and status are not ours to take: we only read lists we own.
      '-o', 'Debug::NoLocking=1',
    ],
  };
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a command to completion, capturing output (apt's output is small). */
export function run(cmd: string, args: readonly string[], cwd?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

function missing(cmd: string, err: unknown): never {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new AptError('apt-missing', `${cmd} is not installed: lusim fetches kernels with Debian's apt tools (run lusim on Debian or Ubuntu, or put the kernel packages in the cache by hand).`, { command: cmd });
  }
  throw err;
}

/** apt running as root downloads as the `_apt` user, which cannot write into a private cache. */
function sandboxOption(): string[] {
  return process.getuid?.() === 0 ? ['-o', 'APT::Sandbox::User=root'] : [];
}

export async function aptUpdate(ctx: AptContext): Promise<void> {
  const res = await run('apt-get', [...ctx.options, ...sandboxOption(), '-q', 'update']).catch((e: unknown) => missing('apt-get', e));
  // apt-get update exits 0 even when a source failed with a warning ("W: Failed to fetch"), so read both.
  const failed = res.code !== 0 || /^(E:|W: (Failed to fetch|Some index files failed))/m.test(res.stderr);
  if (failed) {
    throw new AptError('apt-update', `apt-get update for ${ctx.name} failed: the Debian archive (deb.debian.org) is unreachable or not trusted. Check network access to deb.debian.org, then rerun. apt said: ${lastLines(res.stderr, 4)}`, { suite: ctx.name, stderr: lastLines(res.stderr, 20) });
  }
}

/** Package names matching `regex` (apt-cache search --names-only), sorted as apt prints them. */
export async function searchNames(ctx: AptContext, regex: string): Promise<string[]> {
  const res = await run('apt-cache', [...ctx.options, 'search', '--names-only', regex]).catch((e: unknown) => missing('apt-cache', e));
  if (res.code !== 0) throw new AptError('apt-query', `apt-cache search failed (${ctx.name}): ${lastLines(res.stderr, 4)}`, { suite: ctx.name });
  return res.stdout.split('\n').map((l) => l.split(' - ')[0]!.trim()).filter((n) => n.length > 0);
}

/** The candidate version apt would download for `pkg`, or undefined when there is none. */
export async function candidateVersion(ctx: AptContext, pkg: string): Promise<string | undefined> {
  const res = await run('apt-cache', [...ctx.options, 'policy', pkg]).catch((e: unknown) => missing('apt-cache', e));
  const m = /^\s*Candidate:\s*(\S+)/m.exec(res.stdout);
  return m && m[1] !== '(none)' ? m[1] : undefined;
}

/** `apt-get download` into `dir` (no root needed; apt writes NAME_VERSION_ARCH.deb files there). */
export async function download(ctx: AptContext, pkgs: readonly string[], dir: string): Promise<void> {
  const res = await run('apt-get', [...ctx.options, ...sandboxOption(), '-q', 'download', ...pkgs], dir).catch((e: unknown) => missing('apt-get', e));
  if (res.code !== 0) {
    throw new AptError('apt-download', `apt-get download ${pkgs.join(' ')} failed (${ctx.name}): ${lastLines(res.stderr, 4)}. If the archive is unreachable, check access to deb.debian.org; if a package is gone, run \`lusim kernels fetch\` again to pick the newest.`, { suite: ctx.name, packages: pkgs, stderr: lastLines(res.stderr, 20) });
  }
}

/** `apt-get source --download-only` into `dir`: the .dsc and its tarballs, nothing unpacked or built. */
export async function downloadSource(ctx: AptContext, pkg: string, dir: string): Promise<void> {
  const res = await run('apt-get', [...ctx.options, ...sandboxOption(), '-q', 'source', '--download-only', pkg], dir).catch((e: unknown) => missing('apt-get', e));
  if (res.code !== 0) {
    throw new AptError('apt-download', `apt-get source --download-only ${pkg} failed (${ctx.name}): ${lastLines(res.stderr, 4)}. Check access to deb.debian.org.`, { suite: ctx.name, packages: [pkg], stderr: lastLines(res.stderr, 20) });
  }
}

export function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

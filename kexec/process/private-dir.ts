/**
 * Private 0700 directories under $TMPDIR for QEMU's sockets and the agent's: created so that they
 * are cleaned on every path (cleanup.ts), refused up front when QEMU could not take their path,
 * and owned by this process in a file the next run reads to remove what a killed run left.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsErrorReason } from '../../devices/errors.js';
import { KexecError } from '../errors.js';
import { trackDir, untrackDir } from './cleanup.js';

const OWNER_FILE = '.lusim-owner';
const PREFIX = /^lusim-(?:qemu|agent)-/;

/** This process as `pid start-time` (/proc/PID/stat field 22), so a reused pid is not taken for us. */
function processId(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is in parentheses and may hold spaces: count from the last ')'.
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return `${pid} ${start}`;
  } catch {
    return undefined;
  }
}

/** A fresh 0700 directory `$TMPDIR/<prefix>XXXXXX`, tracked for cleanup until removePrivateDir. */
export function makePrivateDir(prefix: 'lusim-qemu-' | 'lusim-agent-'): string {
  const base = tmpdir();
  // QEMU's option parser (QemuOpts) splits "path=..." at a comma: such a path would reach QEMU as two options.
  if (base.includes(',')) throw new KexecError('bad-launch-options', `TMPDIR ${base} contains a comma, which QEMU's option parser would split; set TMPDIR to a directory without commas (e.g. TMPDIR=/tmp).`, { tmpdir: base });
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(base, prefix));
    writeFileSync(join(dir, OWNER_FILE), `${processId(process.pid) ?? process.pid}\n`, { mode: 0o600 });
  } catch (e) {
    // A full disk still has room for the directory entry but not for the owner file: remove it.
    if (dir) rmSync(dir, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    // The path is TMPDIR, a directory: "no such file" would mislead.
    const why = code === 'ENOENT' ? 'it does not exist' : fsErrorReason(e);
    throw new KexecError('tmpdir-unusable', `cannot create a temporary directory in ${base}: ${why}; free space there or set TMPDIR to another directory.`, { tmpdir: base, code });
  }
  trackDir(dir);
  return dir;
}

export function removePrivateDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  untrackDir(dir);
}

/**
 * Remove the lusim-qemu-* / lusim-agent-* directories of runs that are gone (killed with SIGKILL,
 * the OOM killer): those whose owner file names a process that no longer runs. Directories of
 * live runs, and any without an owner file, are left alone. Returns what was removed.
 */
export function cleanStaleDirs(base = tmpdir()): string[] {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(base);
  } catch {
    return removed;
  }
  for (const name of entries.filter((n) => PREFIX.test(n))) {
    const dir = join(base, name);
    let owner: string;
    try {
      if (!statSync(dir).isDirectory()) continue;
      owner = readFileSync(join(dir, OWNER_FILE), 'utf8').trim();
    } catch {
      continue;
    }
    const pid = Number(owner.split(' ')[0]);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const now = processId(pid);
    if (now !== undefined && (now === owner || !owner.includes(' '))) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/**
 * Boot A from a snapshot (shared/docs/snapshots.md, measured on QEMU 7.2.22): after a cold boot
 * the guest is stopped, migrated to a file (`migrate exec:cat > FILE`, bandwidth unlimited: 7.2's
 * default 128 MiB/s makes a save take 830 ms instead of 290-390 ms) and continued; a later run
 * with the same key starts QEMU with `-incoming defer`, loads the file (`migrate-incoming`), and
 * continues. The agent keeps the nonce it booted with (a new -append is ignored), so the nonce is
 * stored beside the file. nvme is unmigratable in 7.2 ("State blocked by non-migratable device"):
 * such topologies keep booting cold (saveSnapshot reports why).
 *
 * The key holds everything a snapshot depends on: QEMU's version, kernel A, the initramfs (which
 * holds the kernels B), the -device list, -m and -smp.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KexecError } from './errors.js';
import type { QmpClient } from './qmp.js';

interface MigrateStatus {
  status: string;
  'error-desc'?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let qemuVersion: string | undefined;
function versionOf(binary: string): string {
  qemuVersion ??= spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? 'unknown';
  return qemuVersion;
}

export function snapshotKey(parts: { qemuBinary: string; kernel: string; initrdSha256: string; deviceArgs: readonly string[]; memoryMiB: number; smp: number }): string {
  return createHash('sha256').update(JSON.stringify({ ...parts, qemu: versionOf(parts.qemuBinary) })).digest('hex').slice(0, 32);
}

export interface SnapshotEntry {
  readonly file: string;
  readonly meta: string;
}

export function snapshotEntry(dir: string, key: string): SnapshotEntry {
  return { file: join(dir, `${key}.mig`), meta: join(dir, `${key}.json`) };
}

/** The stored nonce, or undefined when there is no complete snapshot for the key. */
export function cachedSnapshot(e: SnapshotEntry): { nonce: string } | undefined {
  if (!existsSync(e.file) || !existsSync(e.meta)) return undefined;
  return JSON.parse(readFileSync(e.meta, 'utf8')) as { nonce: string };
}

async function waitMigration(qmp: QmpClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await qmp.execute<MigrateStatus>('query-migrate');
    if (s.status === 'completed') return;
    if (s.status === 'failed' || s.status === 'cancelled') throw new KexecError('snapshot', `migration ${s.status}: ${s['error-desc'] ?? 'no reason given'}`, { status: s.status });
    if (Date.now() > deadline) throw new KexecError('timeout', `migration did not complete within ${timeoutMs} ms (status ${s.status}).`, { timeoutMs });
    await sleep(20);
  }
}

/** Stop, migrate to the entry's file, continue. Throws KexecError('snapshot') when QEMU refuses (nvme). */
export async function saveSnapshot(qmp: QmpClient, e: SnapshotEntry, nonce: string, timeoutMs = 60_000): Promise<void> {
  mkdirSync(join(e.file, '..'), { recursive: true });
  const tmp = `${e.file}.${process.pid}.tmp`;
  await qmp.execute('stop');
  try {
    await qmp.execute('migrate-set-parameters', { 'max-bandwidth': 1099511627776 });
    // The path is lusim's own cache path (hex key), passed to /bin/sh by QEMU's exec: migration.
    if (!/^[A-Za-z0-9_./+-]+$/.test(tmp)) throw new KexecError('snapshot', `snapshot path ${tmp} has characters QEMU's exec: URI would pass to the shell; set XDG_CACHE_HOME to a plain path.`, { path: tmp });
    await qmp.execute('migrate', { uri: `exec:cat > ${tmp}` });
    await waitMigration(qmp, timeoutMs);
    renameSync(tmp, e.file);
    writeFileSync(e.meta, `${JSON.stringify({ nonce })}\n`);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err instanceof KexecError ? err : new KexecError('snapshot', `snapshot failed: ${(err as Error).message}`, { cause: (err as Error).message });
  } finally {
    await qmp.execute('cont');
  }
}

/** Load the entry into a QEMU started with -incoming defer, then continue it. */
export async function restoreSnapshot(qmp: QmpClient, e: SnapshotEntry, timeoutMs = 60_000): Promise<void> {
  if (!/^[A-Za-z0-9_./+-]+$/.test(e.file)) throw new KexecError('snapshot', `snapshot path ${e.file} has characters QEMU's exec: URI would pass to the shell.`, { path: e.file });
  await qmp.execute('migrate-incoming', { uri: `exec:cat ${e.file}` });
  await waitMigration(qmp, timeoutMs);
  await qmp.execute('cont');
}

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
 *
 * A snapshot must give back the devices as they were: QEMU migrates a device's config space only
 * as part of the device's own vmstate, and a device without one (edu: hw/misc/edu.c has no
 * VMStateDescription) is neither migrated nor blocking: it comes back at its reset state (BAR0 0
 * where boot A had 0xfe600000; kernel B then assigned it anew). So the meta file holds a digest
 * of every function's config space at the save, the restored guest is read back against it, and
 * a snapshot that differs is marked unfaithful: never restored again, and the topology boots cold.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KexecError } from '../errors.js';
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

export interface SnapshotMeta {
  readonly nonce: string;
  /** Per qdev id, sha256 of the function's config space at the save. */
  readonly config?: Readonly<Record<string, string>>;
  /** Why this key must boot cold: its restore did not give the devices back (see above). */
  readonly unfaithful?: string;
}

function readMeta(e: SnapshotEntry): SnapshotMeta | undefined {
  if (!existsSync(e.meta)) return undefined;
  try {
    return JSON.parse(readFileSync(e.meta, 'utf8')) as SnapshotMeta;
  } catch {
    return undefined;
  }
}

/** The stored meta, or undefined when there is no complete, faithful snapshot for the key. */
export function cachedSnapshot(e: SnapshotEntry): SnapshotMeta | undefined {
  const meta = readMeta(e);
  return meta && !meta.unfaithful && existsSync(e.file) ? meta : undefined;
}

/** Why the key's snapshot is not to be used or made again, if it was found unfaithful. */
export function unfaithfulSnapshot(e: SnapshotEntry): string | undefined {
  return readMeta(e)?.unfaithful;
}

/** Per function, sha256 of its config space. */
export function configDigests(functions: readonly { readonly id: string; readonly config: Uint8Array }[]): Record<string, string> {
  return Object.fromEntries(functions.map((f) => [f.id, createHash('sha256').update(f.config).digest('hex')]));
}

/** The functions whose config space after a restore differs from the save's (empty: faithful). */
export function unfaithfulFunctions(meta: SnapshotMeta, now: Readonly<Record<string, string>>): string[] {
  if (!meta.config) return [];
  return Object.keys({ ...meta.config, ...now }).filter((id) => meta.config![id] !== now[id]).sort();
}

/** Remember that the key's restore did not give the devices back; its file goes. */
export function markUnfaithful(e: SnapshotEntry, why: string): void {
  writeFileSync(e.meta, `${JSON.stringify({ nonce: '', unfaithful: why })}\n`);
  rmSync(e.file, { force: true });
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

/** Per qdev id, the sha256 of its config space, read while the guest is stopped (configDigests). */
export type ConfigDigester = () => Promise<Record<string, string>>;

/**
 * Stop, take the digests, migrate to the entry's file, continue. Throws KexecError('snapshot')
 * when QEMU refuses (nvme).
 */
export async function saveSnapshot(qmp: QmpClient, e: SnapshotEntry, nonce: string, digest: ConfigDigester, timeoutMs = 60_000): Promise<void> {
  mkdirSync(join(e.file, '..'), { recursive: true });
  const tmp = `${e.file}.${process.pid}.tmp`;
  await qmp.execute('stop');
  try {
    const config = await digest();
    await qmp.execute('migrate-set-parameters', { 'max-bandwidth': 1099511627776 });
    // The path is lusim's own cache path (hex key), passed to /bin/sh by QEMU's exec: migration.
    if (!/^[A-Za-z0-9_./+-]+$/.test(tmp)) throw new KexecError('snapshot', `snapshot path ${tmp} has characters QEMU's exec: URI would pass to the shell; set XDG_CACHE_HOME to a plain path.`, { path: tmp });
    // QEMU 7.2 refuses at once when a device blocks migration (nvme: "State blocked by
    // non-migratable device"): a refusal, not a failure of the run.
    await qmp.execute('migrate', { uri: `exec:cat > ${tmp}` }).catch((err: unknown) => {
      throw err instanceof KexecError && err.code === 'qmp-error' ? new KexecError('snapshot', `QEMU cannot migrate this guest: ${err.message.replace(/^QMP migrate failed: (GenericError: )?/, '')}`, { cause: err.message }) : err;
    });
    await waitMigration(qmp, timeoutMs);
    renameSync(tmp, e.file);
    writeFileSync(e.meta, `${JSON.stringify({ nonce, config } satisfies SnapshotMeta)}\n`);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err instanceof KexecError ? err : new KexecError('snapshot', `snapshot failed: ${(err as Error).message}`, { cause: (err as Error).message });
  } finally {
    await qmp.execute('cont');
  }
}

/**
 * Load the entry into a QEMU started with -incoming defer and, when every function reads back
 * as it was saved, continue it. Returns the functions that differ (then the guest stays stopped
 * and the entry is marked unfaithful; the caller boots cold).
 */
export async function restoreSnapshot(qmp: QmpClient, e: SnapshotEntry, meta: SnapshotMeta, digest: ConfigDigester, timeoutMs = 60_000): Promise<string[]> {
  if (!/^[A-Za-z0-9_./+-]+$/.test(e.file)) throw new KexecError('snapshot', `snapshot path ${e.file} has characters QEMU's exec: URI would pass to the shell.`, { path: e.file });
  await qmp.execute('migrate-incoming', { uri: `exec:cat ${e.file}` });
  await waitMigration(qmp, timeoutMs);
  const differ = unfaithfulFunctions(meta, await digest());
  if (differ.length) {
    markUnfaithful(e, `after a restore ${differ.join(', ')} read back other config space than at the save (QEMU migrates no state for such devices)`);
    return differ;
  }
  await qmp.execute('cont');
  return [];
}

/**
 * Cached files lusim boots (kernel images, their configs) are recorded at fetch time with size,
 * mtime and SHA-256, and checked before use: size and mtime first (a stat), the hash only when
 * those differ, so a touched-but-intact file passes and a corrupted one is named exactly.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface FileRecord {
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Size, mtime and hash of each file (paths relative to `dir`). */
export function recordFiles(dir: string, files: readonly string[]): Record<string, FileRecord> {
  const out: Record<string, FileRecord> = {};
  for (const f of files) {
    const st = statSync(join(dir, f));
    out[f] = { size: st.size, mtimeMs: st.mtimeMs, sha256: sha256File(join(dir, f)) };
  }
  return out;
}

export interface FileProblem {
  readonly file: string;
  readonly problem: string;
}

/**
 * What is wrong with the recorded files now, and the records to keep (a file whose mtime moved but
 * whose hash still matches is intact: its record takes the new mtime).
 */
export function verifyFiles(dir: string, records: Readonly<Record<string, FileRecord>>): { problems: FileProblem[]; updated: Record<string, FileRecord> | undefined } {
  const problems: FileProblem[] = [];
  let updated: Record<string, FileRecord> | undefined;
  for (const [file, rec] of Object.entries(records)) {
    let st;
    try {
      st = statSync(join(dir, file));
    } catch {
      problems.push({ file, problem: 'is missing' });
      continue;
    }
    if (st.size === rec.size && st.mtimeMs === rec.mtimeMs) continue;
    const hash = sha256File(join(dir, file));
    if (hash !== rec.sha256) {
      problems.push({ file, problem: `changed since it was fetched (${st.size} bytes, SHA-256 ${hash.slice(0, 16)}..., recorded ${rec.size} bytes, ${rec.sha256.slice(0, 16)}...)` });
      continue;
    }
    updated = { ...(updated ?? records), [file]: { ...rec, mtimeMs: st.mtimeMs } };
  }
  return { problems, updated };
}

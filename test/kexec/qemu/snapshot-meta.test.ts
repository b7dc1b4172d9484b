/**
 * A snapshot's meta file (kexec/qemu/snapshot.ts): the config digests taken at the save decide whether
 * a restore gave every function back; an unfaithful key is never restored or saved again.
 * (The real save and restore: test/e2e/snapshot.test.ts.)
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedSnapshot, configDigests, markUnfaithful, snapshotEntry, unfaithfulFunctions, unfaithfulSnapshot } from '../../../kexec/qemu/snapshot.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function entry() {
  const dir = mkdtempSync(join(tmpdir(), 'lusim-snapmeta-'));
  dirs.push(dir);
  return snapshotEntry(dir, 'k');
}

describe('snapshot meta', () => {
  const saved = configDigests([{ id: 'nic0', config: new Uint8Array([1, 2]) }, { id: 'edu0', config: new Uint8Array([3]) }]);

  it('names the functions whose config space differs after the restore, and only those', () => {
    expect(unfaithfulFunctions({ nonce: 'n', config: saved }, saved)).toEqual([]);
    const now = configDigests([{ id: 'nic0', config: new Uint8Array([1, 2]) }, { id: 'edu0', config: new Uint8Array([0]) }]);
    expect(unfaithfulFunctions({ nonce: 'n', config: saved }, now)).toEqual(['edu0']);
    // A function missing on either side differs too.
    expect(unfaithfulFunctions({ nonce: 'n', config: saved }, { nic0: saved.nic0! })).toEqual(['edu0']);
  });

  it('a complete entry is cached; one marked unfaithful is not, keeps its reason, and loses its file', () => {
    const e = entry();
    expect(cachedSnapshot(e)).toBeUndefined();
    writeFileSync(e.file, 'x');
    writeFileSync(e.meta, JSON.stringify({ nonce: 'n', config: saved }));
    expect(cachedSnapshot(e)).toMatchObject({ nonce: 'n' });
    markUnfaithful(e, 'edu0 differs');
    expect(cachedSnapshot(e)).toBeUndefined();
    expect(unfaithfulSnapshot(e)).toBe('edu0 differs');
    expect(existsSync(e.file)).toBe(false);
  });

  it('a damaged meta file is no snapshot, not a crash', () => {
    const e = entry();
    writeFileSync(e.file, 'x');
    writeFileSync(e.meta, '{not json');
    expect(cachedSnapshot(e)).toBeUndefined();
    expect(unfaithfulSnapshot(e)).toBeUndefined();
  });
});

/**
 * `lusim fidelity` option checks that need no QEMU: a bad --modes list, an unknown kernel series or
 * topology is one usage line naming the choices, before any kernel is resolved or QEMU started.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLusim } from './in-process.js';

describe('lusim fidelity options', () => {
  it('refuses an unknown kexec mode with the choices', async () => {
    const r = await runLusim(['fidelity', '--modes', 'plain,luo', '--no-fetch']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--modes plain,luo: each mode is one of plain, preserved/);
    expect(r.stdout).toBe('');
  });

  it('refuses an empty --modes list', async () => {
    const r = await runLusim(['fidelity', '--modes', ',', '--no-fetch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/each mode is one of plain, preserved/);
  });

  it('refuses an unknown kernel series (exit 2) and an unknown topology before any boot', async () => {
    const r = await runLusim(['fidelity', '--kernels', '6.1,5.4', '--topology', 'switch', '--no-fetch']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('lusim: Unknown kernel "5.4": use 6.1, 6.12, 7.x (sid) or 7.3 (trixie-backports), or a profile id: 6.1.y, 6.12.y, 7.1, 7.2, 7.3.');
    expect(r.stdout).toBe('');
    const none = await runLusim(['fidelity', '--kernels', ',', '--no-fetch']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--kernels "," names no kernel');
    const t = await runLusim(['fidelity', '--topology', 'no-such-topology', '--no-fetch']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/not a built-in topology \(bridge, /);
  });

  it('refuses two topologies of one name (a file is named by its base name) before any boot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-fidelity-'));
    copyFileSync('fixtures/topologies/switch.txt', join(dir, 'switch.txt'));
    const r = await runLusim(['fidelity', '--topology', join(dir, 'switch.txt'), '--topology', 'switch', '--no-fetch']);
    expect([r.code, r.stderr.trim()]).toEqual([2, `lusim: --topology ${join(dir, 'switch.txt')} and switch are both named switch (pairs and --out directories go by the name): give each topology once, or rename the file`]);
  });

  it('refuses a kernel or a mode named twice (the ring would run its pairs twice, into the same --out files)', async () => {
    expect((await runLusim(['fidelity', '--kernels', '6.1,6.12,6.1', '--no-fetch'])).stderr).toBe('lusim: --kernels 6.1,6.12,6.1 names 6.1 twice: give each once\n');
    expect((await runLusim(['fidelity', '--modes', 'plain,plain', '--no-fetch'])).code).toBe(2);
  });
});

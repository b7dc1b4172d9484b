/**
 * `lusim fidelity` option checks that need no QEMU: a bad --modes list is one usage line (exit 2)
 * naming the modes, before any kernel is resolved or QEMU started.
 */
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
});

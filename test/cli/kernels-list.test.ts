/**
 * `lusim kernels list` prints a plain table: cli-table3 colours its head and border with escape
 * codes whether or not stdout is a terminal, which a file or a pipe then holds.
 */
import { describe, expect, it } from 'vitest';
import { kernelsTable } from '../../cli/commands/kernels.js';

describe('lusim kernels list', () => {
  it('has no terminal escape codes, and a row per kernel', () => {
    const text = kernelsTable([{ release: '6.12.118+deb12-cloud-amd64', upstream: '6.12.118', profile: '6.12.y', suite: 'bookworm', vmlinuz: '/cache/vmlinuz' }]);
    expect(text).not.toMatch(/\x1b\[/);
    expect(text).toMatch(/│ 6\.12\.118\+deb12-cloud-amd64 │ 6\.12\.118 +│ 6\.12\.y +│ bookworm │ \/cache\/vmlinuz │/);
  });
});

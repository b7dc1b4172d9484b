import { describe, expect, it } from 'vitest';
import { ConsoleStream } from '../../../kexec/qemu/console.js';
import { KexecError } from '../../../kexec/errors.js';

describe('console stream', () => {
  it('splits chunks into lines across chunk boundaries and strips \\r', async () => {
    const c = new ConsoleStream();
    const lines: string[] = [];
    c.onLine((l) => lines.push(l));
    const marker = c.waitForLine(/^LUSIM-READY \d+$/, 1000);
    c.push('boot\r\nLUSIM-REA');
    c.push('DY 42\r\npartial');
    expect(await marker).toBe('LUSIM-READY 42');
    expect(lines).toEqual(['boot', 'LUSIM-READY 42']);
    expect(c.all()).toBe('boot\r\nLUSIM-READY 42\r\npartial');
    expect(c.tail(2)).toEqual(['LUSIM-READY 42', 'partial']);
  });

  it('times out with the last console lines in the error', async () => {
    const c = new ConsoleStream();
    c.push('Kernel panic - not syncing: VFS\n');
    const err = await c.waitForLine(/never/, 50).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KexecError);
    expect((err as KexecError).code).toBe('timeout');
    expect((err as KexecError).message).toContain('Kernel panic');
  });

  it('fails waiters when the stream ends (QEMU exited)', async () => {
    const c = new ConsoleStream();
    const w = c.waitForLine(/x/, 5000);
    c.end(new KexecError('qemu-exited', 'QEMU exited (SIGKILL).'));
    await expect(w).rejects.toMatchObject({ code: 'qemu-exited' });
    await expect(c.waitForLine(/x/, 10)).rejects.toMatchObject({ code: 'qemu-exited' });
  });
});

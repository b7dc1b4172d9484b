/** Reading back the newc archives lusim writes (kexec/guest/initramfs.ts), for tests. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

/** Minimal newc reader: 110-byte header, name and data each padded to 4 (init/initramfs.c). */
export function readNewc(input: Buffer | string): { path: string; mode: number; ino: number; rdev: [number, number]; data: Buffer }[] {
  const buf = typeof input === 'string' ? readFileSync(input) : input;
  const out = [];
  let off = 0;
  for (;;) {
    expect(buf.toString('latin1', off, off + 6)).toBe('070701');
    const f = (i: number): number => parseInt(buf.toString('latin1', off + 6 + i * 8, off + 14 + i * 8), 16);
    const [ino, mode, size, rmaj, rmin, namesize] = [f(0), f(1), f(6), f(9), f(10), f(11)];
    const name = buf.toString('utf8', off + 110, off + 110 + namesize - 1);
    expect(buf[off + 110 + namesize - 1]).toBe(0);
    off += 110 + namesize;
    off += (4 - (off % 4)) % 4;
    const data = buf.subarray(off, off + size);
    off += size;
    off += (4 - (off % 4)) % 4;
    if (name === 'TRAILER!!!') break;
    out.push({ path: name, mode, ino, rdev: [rmaj, rmin] as [number, number], data });
  }
  expect(off).toBe(buf.length);
  return out;
}


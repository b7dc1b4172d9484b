/**
 * The gdbstub client (kexec/qemu/gdbstub.ts) against a scripted peer that frames and acknowledges
 * packets as QEMU's gdbstub does (gdbstub/gdbstub.c: `+` for every packet with a good checksum,
 * replies as `$data#xx`), and kernelEntry on bzImage headers (Documentation/arch/x86/boot.rst).
 * The real stub is exercised by every fidelity boot (test/e2e/fidelity-topologies.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GdbStub } from '../../../kexec/qemu/gdbstub.js';
import { kernelEntry } from '../../../kexec/qemu/firmware-state.js';
import { errorOf } from '../error-of.js';

const sum = (d: string) => ([...Buffer.from(d, 'latin1')].reduce((a, b) => a + b, 0) & 0xff).toString(16).padStart(2, '0');

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A stub peer: answers each well-formed packet with `answer(data)` (undefined: stay silent). */
function stubPeer(answer: (data: string) => string | undefined): { path: string; acks: () => number; bad: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'lusim-gdb-'));
  const path = join(dir, 'gdb.sock');
  let acks = 0;
  const bad: string[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    sockets.push(s);
    s.setEncoding('latin1');
    let buf = '';
    s.on('data', (d: string) => {
      buf += d;
      for (;;) {
        while (buf.startsWith('+')) { acks++; buf = buf.slice(1); }
        const m = /^\$([^#]*)#([0-9a-f]{2})/.exec(buf);
        if (!m) return;
        buf = buf.slice(m[0].length);
        if (sum(m[1]!) !== m[2]) { bad.push(m[1]!); s.write('-'); continue; }
        s.write('+');
        const r = answer(m[1]!);
        if (r !== undefined) s.write(`$${r}#${sum(r)}`);
      }
    });
  });
  server.listen(path);
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { path, acks: () => acks, bad };
}

describe('GdbStub', () => {
  it('frames packets with their checksum, returns the reply data and acknowledges every reply', async () => {
    const peer = stubPeer((d) => (d === '?' ? 'T05thread:01;' : d.startsWith('Z1,') ? 'OK' : ''));
    const stub = await GdbStub.connect(peer.path);
    expect(await stub.command('?')).toBe('T05thread:01;');
    expect(await stub.command('Z1,100000,1')).toBe('OK');
    expect(await stub.command('qUnknown')).toBe('');
    stub.close();
    await new Promise((r) => setTimeout(r, 20));
    expect(peer.bad).toEqual([]);
    expect(peer.acks()).toBe(3);
  });

  it('a stub that never answers is a typed timeout naming the packet', async () => {
    const peer = stubPeer(() => undefined);
    const stub = await GdbStub.connect(peer.path);
    const e = await errorOf(stub.command('c', 100));
    expect(e).toMatchObject({ code: 'timeout' });
    expect(e.message).toContain('"c"');
    stub.close();
  });

  it('QEMU closing the connection fails the waiting command', async () => {
    let sock: Socket | undefined;
    const dir = mkdtempSync(join(tmpdir(), 'lusim-gdb-'));
    const server = createServer((s) => { sock = s; s.on('data', () => s.destroy()); });
    await new Promise<void>((r) => server.listen(join(dir, 's'), r));
    cleanups.push(() => { sock?.destroy(); server.close(); rmSync(dir, { recursive: true, force: true }); });
    const stub = await GdbStub.connect(join(dir, 's'));
    expect(await errorOf(stub.command('c', 5000))).toMatchObject({ code: 'gdbstub' });
  });
});

describe('kernelEntry', () => {
  const image = (magic: string, entry: number) => {
    const b = Buffer.alloc(0x400);
    b.write(magic, 0x202, 'latin1');
    b.writeUInt32LE(entry, 0x214);
    const dir = mkdtempSync(join(tmpdir(), 'lusim-bz-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'vmlinuz'), b);
    return join(dir, 'vmlinuz');
  };

  it('reads code32_start from the setup header', () => {
    expect(kernelEntry(image('HdrS', 0x100000))).toBe(0x100000);
  });

  it('refuses a file that is not a bzImage, naming it', () => {
    const path = image('ELF!', 0);
    expect(() => kernelEntry(path)).toThrow(/no x86 boot protocol header.*not a bzImage/);
  });
});

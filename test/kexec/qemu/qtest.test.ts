import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KexecError } from '../../../kexec/errors.js';
import { type QemuInstance, launchQemu } from '../../../kexec/qemu/launcher.js';
import { QtestClient } from '../../../kexec/qemu/qtest.js';
import { fakePeer } from '../fake-server.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof KexecError ? e.code : `not a KexecError: ${String(e)}`;
  }
  return 'resolved';
}

describe('qtest client against a scripted peer', () => {
  it('pipelines requests in one write, demultiplexes IRQ lines, and maps FAIL to qtest-error', async () => {
    const peer = await fakePeer(
      () => undefined,
      (line, s) => {
        if (line.startsWith('readl')) s.write('IRQ raise 3\nOK 0x0000000010d38086\n');
        else if (line.startsWith('inb')) s.write('FAIL Unknown command\nIRQ lower 3\n');
        else s.write('OK\n');
      },
    );
    const q = await QtestClient.connect(peer.path);
    const irqs: string[] = [];
    q.onIrq((level, n) => irqs.push(`${level} ${n}`));
    const [id, failed, wrote] = await Promise.all([q.readl(0xb0000000), codeOf(q.inb(0x60)), q.writel(0x1000, 0xffffffff)]);
    expect(id).toBe(0x10d38086);
    expect(failed).toBe('qtest-error');
    expect(wrote).toBeUndefined();
    expect(irqs).toEqual(['raise 3', 'lower 3']);
    expect(peer.received).toEqual(['readl 0xb0000000', 'inb 0x60', 'writel 0x1000 0xffffffff']);
    q.close();
    await peer.close();
  });

  it('fails every pending request with qtest-disconnect when the peer closes', async () => {
    const peer = await fakePeer(() => undefined, (_line, s) => s.destroy());
    const q = await QtestClient.connect(peer.path);
    expect(await Promise.all([codeOf(q.readb(0)), codeOf(q.readb(1))])).toEqual(['qtest-disconnect', 'qtest-disconnect']);
    expect(await codeOf(q.readb(2))).toBe('qtest-disconnect');
    await peer.close();
  });

  it('times out with a typed error when no reply comes', async () => {
    const peer = await fakePeer(() => undefined, () => undefined);
    const q = await QtestClient.connect(peer.path, 200);
    expect(await codeOf(q.readl(0))).toBe('timeout');
    await peer.close();
  });

  it('rejects a reply that is not OK/FAIL/ERR as qtest-protocol', async () => {
    const peer = await fakePeer(() => undefined, (_l, s) => s.write('garbage\n'));
    const q = await QtestClient.connect(peer.path);
    expect(await codeOf(q.readl(0))).toBe('qtest-protocol');
    await peer.close();
  });
});

describe('qtest client validation (nothing malformed ever reaches QEMU)', () => {
  let q: QemuInstance;
  beforeAll(async () => {
    q = await launchQemu();
  });
  afterAll(async () => {
    await q?.close();
  });

  it.each([
    ['negative address', () => q.qtest.readl(-1)],
    ['fractional address', () => q.qtest.readb(1.5)],
    ['unsafe integer address', () => q.qtest.readb(2 ** 60)],
    ['address above 2^64', () => q.qtest.readq(1n << 64n)],
    ['port above 0xffff', () => q.qtest.inl(0x10000)],
    ['byte value above 0xff', () => q.qtest.writeb(0, 0x100)],
    ['negative value', () => q.qtest.outl(0xcf8, -1)],
    ['NaN value', () => q.qtest.writel(0, Number.NaN)],
    ['zero-length read (QEMU g_assert(len))', () => q.qtest.read(0, 0)],
    ['empty write', () => q.qtest.write(0, new Uint8Array(0))],
    ['access wrapping past 2^64', () => q.qtest.b64read((1n << 64n) - 2n, 4)],
  ])('refuses %s with qtest-bad-command and QEMU survives', async (_name, bad) => {
    expect(await codeOf(bad())).toBe('qtest-bad-command');
    expect(await q.qtest.endianness()).toBe('little');
  });

  it('round-trips guest RAM through every read/write form', async () => {
    const base = 0x100000;
    await q.qtest.writeb(base, 0xab);
    await q.qtest.writew(base + 2, 0xcdef);
    await q.qtest.writel(base + 4, 0x89abcdef);
    await q.qtest.writeq(base + 8, 0x0123456789abcdefn);
    expect(await q.qtest.readb(base)).toBe(0xab);
    expect(await q.qtest.readw(base + 2)).toBe(0xcdef);
    expect(await q.qtest.readl(base + 4)).toBe(0x89abcdef);
    expect(await q.qtest.readq(base + 8)).toBe(0x0123456789abcdefn);
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
    await q.qtest.write(base + 0x100, data);
    expect(await q.qtest.read(base + 0x100, 300)).toEqual(data);
    await q.qtest.b64write(base + 0x400, data);
    expect(await q.qtest.b64read(base + 0x400, 300)).toEqual(data);
  });

  it('keeps replies in order with thousands of requests in flight', async () => {
    const base = 0x200000;
    await q.qtest.write(base, Uint8Array.from({ length: 4096 }, (_, i) => i & 0xff));
    const reads = await Promise.all(Array.from({ length: 4096 }, (_, i) => q.qtest.readb(base + i)));
    expect(reads.every((v, i) => v === (i & 0xff))).toBe(true);
  });
});

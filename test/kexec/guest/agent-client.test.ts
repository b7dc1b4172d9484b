/**
 * The host client against the real agent script (kexec/agent/agent.sh), run by busybox sh on the
 * host over pipes. Only harmless requests are sent: this is the host's own sysfs, so nothing that
 * would unbind, reset or kexec a real device ever passes validation here.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AgentClient, AgentError, newNonce, parseDeviceLine, streamLine } from '../../../kexec/guest/agent-client.js';
import { hostAgents } from '../helpers/host-agent.js';

const agents = hostAgents();

function startAgent(nonce: string, clientNonce = nonce, sys?: string): { client: AgentClient; dir: string } {
  return agents.start({ nonce, clientNonce, cmdline: `console=ttyS0 lusim.nonce=${nonce} quiet`, ...(sys ? { env: { LUSIM_SYS: sys } } : {}) });
}

describe('agent protocol against agent.sh', () => {
  it('announces READY with its nonce and answers requests in order', async () => {
    const nonce = newNonce();
    const { client } = startAgent(nonce);
    expect(await client.waitReady(5000)).toMatch(/\S/);
    expect(await client.request('PING')).toEqual({ rc: 0, lines: [] });
    expect((await client.uname()).length).toBeGreaterThan(0);
    const devs = await client.devices();
    for (const d of devs) expect(d.bdf).toMatch(/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/);
  });

  it('lists devices from sysfs: driver link, reset_method in order, "-" when hidden or empty', async () => {
    // The sysfs layout the agent reads (drivers/pci/pci-sysfs.c, drivers/base/bus.c driver link).
    const sys = agents.scratch('lusim-agent-sys-');
    const dev = (bdf: string, ids: [string, string, string], reset?: string, driver?: string): void => {
      const d = join(sys, 'bus/pci/devices', bdf);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'vendor'), `${ids[0]}\n`);
      writeFileSync(join(d, 'device'), `${ids[1]}\n`);
      writeFileSync(join(d, 'class'), `${ids[2]}\n`);
      if (reset !== undefined) writeFileSync(join(d, 'reset_method'), reset);
      if (driver) {
        mkdirSync(join(sys, 'bus/pci/drivers', driver), { recursive: true });
        symlinkSync(join(sys, 'bus/pci/drivers', driver), join(d, 'driver'));
      }
    };
    dev('0000:00:1f.0', ['0x8086', '0x2918', '0x060100']);
    dev('0000:01:00.0', ['0x8086', '0x10d3', '0x020000'], 'pm bus\n');
    dev('0000:02:00.0', ['0x1b36', '0x0010', '0x010802'], 'flr bus\n', 'nvme');
    dev('0000:03:00.0', ['0x1af4', '0x1041', '0x020000'], '', 'virtio-pci');
    const { client } = startAgent(newNonce(), undefined, sys);
    await client.waitReady(5000);
    expect(await client.devices()).toEqual([
      { bdf: '0000:00:1f.0', vendor: 0x8086, device: 0x2918, classCode: 0x060100, driver: null, resetMethods: [] },
      { bdf: '0000:01:00.0', vendor: 0x8086, device: 0x10d3, classCode: 0x020000, driver: null, resetMethods: ['pm', 'bus'] },
      { bdf: '0000:02:00.0', vendor: 0x1b36, device: 0x0010, classCode: 0x010802, driver: 'nvme', resetMethods: ['flr', 'bus'] },
      { bdf: '0000:03:00.0', vendor: 0x1af4, device: 0x1041, classCode: 0x020000, driver: 'virtio-pci', resetMethods: [] },
    ]);
  });

  it('enables VFs through sysfs with autoprobe off first; refuses a function without sriov_numvfs and counts outside 1..255', async () => {
    // pci-sysfs.c: sriov_numvfs and sriov_drivers_autoprobe exist only on an SR-IOV PF.
    const sys = agents.scratch('lusim-agent-sys-');
    const pf = join(sys, 'bus/pci/devices/0000:02:00.0');
    mkdirSync(pf, { recursive: true });
    writeFileSync(join(pf, 'sriov_numvfs'), '0\n');
    writeFileSync(join(pf, 'sriov_drivers_autoprobe'), '1\n');
    mkdirSync(join(sys, 'bus/pci/devices/0000:03:00.0'), { recursive: true });
    const { client } = startAgent(newNonce(), undefined, sys);
    await client.waitReady(5000);
    await client.enableVfs('0000:02:00.0', 2);
    expect([readFileSync(join(pf, 'sriov_drivers_autoprobe'), 'utf8'), readFileSync(join(pf, 'sriov_numvfs'), 'utf8')]).toEqual(['0\n', '2\n']);
    expect(await client.request('SRIOV', ['0000:03:00.0', '2'])).toEqual({ rc: 3, lines: ['0000:03:00.0 has no SR-IOV capability (or its driver cannot enable VFs)'] });
    for (const n of ['0', '256', '07', 'x']) expect(await client.request('SRIOV', ['0000:02:00.0', n])).toEqual({ rc: 2, lines: ['bad arguments for SRIOV'] });
    await expect(client.enableVfs('0000:02:00.0', 0)).rejects.toThrow(RangeError);
    // A write the kernel refuses (here: sriov_numvfs is a directory) names the function and count,
    // then the kernel log's tail (the host's dmesg here, whatever it says).
    const refusing = join(sys, 'bus/pci/devices/0000:04:00.0');
    mkdirSync(join(refusing, 'sriov_numvfs'), { recursive: true });
    writeFileSync(join(refusing, 'sriov_drivers_autoprobe'), '1\n');
    const refused = await client.request('SRIOV', ['0000:04:00.0', '1']);
    expect([refused.rc, refused.lines[0]]).toEqual([1, 'the kernel refused sriov_numvfs=1 on 0000:04:00.0 (Is a directory); it logged:']);
  });

  it('refuses malformed arguments in the agent, with nothing evaluated', async () => {
    const nonce = newNonce();
    const { client, dir } = startAgent(nonce);
    await client.waitReady(5000);
    const marker = join(dir, 'pwned');
    // The client would refuse these; send them raw through request() to test the agent's own checks.
    expect(await client.request('UNBIND', [`$(touch${'${IFS}'}${marker})`])).toEqual({ rc: 2, lines: ['bad arguments for UNBIND'] });
    expect(await client.request('BIND', ['0000:00:00.0', 'a;b'])).toEqual({ rc: 2, lines: ['bad arguments for BIND'] });
    expect(await client.request('KLOAD', ['k1', 'NOTHEX!'])).toEqual({ rc: 2, lines: ['bad arguments for KLOAD'] });
    expect(await client.request('PING', ['a', 'b', 'c'])).toEqual({ rc: 2, lines: ['too many arguments'] });
    expect(await client.request('RESET', ['ffff:ff:1f.7'])).toEqual({ rc: 3, lines: ['no PCI device ffff:ff:1f.7'] });
    expect((await client.request('FROB')).rc).toBe(64);
    expect(existsSync(marker)).toBe(false);
  });

  it('ignores answers carrying another nonce', async () => {
    const { client } = startAgent(newNonce(), newNonce());
    const err = (await client.waitReady(1500).catch((e: unknown) => e)) as AgentError;
    expect(err.code).toBe('timeout');
    // The agent did answer, with its own nonce: the tail shows it.
    expect((err.details.tail as string[]).some((l) => / READY /.test(l))).toBe(true);
  });
});

describe('host-side checks and errors', () => {
  function fakeLine() {
    const input = new PassThrough();
    const sent: string[] = [];
    const output = new PassThrough();
    output.on('data', (d: Buffer) => sent.push(d.toString()));
    return { input, sent, line: streamLine(input, output) };
  }

  it('rejects bad arguments before sending anything', async () => {
    const { sent, line } = fakeLine();
    const c = new AgentClient(line, newNonce());
    await expect(c.unbind('0000:00:1.0')).rejects.toMatchObject({ code: 'bad-argument' });
    await expect(c.bind('0000:01:00.0', 'Bad Driver')).rejects.toMatchObject({ code: 'bad-argument' });
    await expect(c.reset('0000:01:00.0; reboot')).rejects.toMatchObject({ code: 'bad-argument' });
    await expect(c.kexec('../etc')).rejects.toMatchObject({ code: 'bad-argument' });
    expect(() => new AgentClient(line, 'xyz')).toThrow(AgentError);
    expect(sent).toEqual([]);
  });

  it('times out with a typed error carrying the last 30 lines', async () => {
    const { input, line } = fakeLine();
    const c = new AgentClient(line, newNonce(), () => ['[ 1.0] console line']);
    for (let i = 0; i < 40; i++) input.write(`boot line ${i}\r\n`);
    const err = await c.waitReady(200).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    const e = err as AgentError;
    expect(e.code).toBe('timeout');
    expect(e.details.tail).toHaveLength(30);
    expect((e.details.tail as string[])[29]).toBe('boot line 39');
    expect(e.details.console).toEqual(['[ 1.0] console line']);
    expect(e.message).toContain('boot line 39');
  });

  it('fails waits when the line closes', async () => {
    const { input, line } = fakeLine();
    const c = new AgentClient(line, newNonce());
    const p = c.request('PING', [], 5000);
    input.end();
    await expect(p).rejects.toMatchObject({ code: 'closed' });
  });

  it('reports a failed kexec -e instead of waiting for a READY that never comes', async () => {
    const { input, sent, line } = fakeLine();
    const nonce = newNonce();
    const c = new AgentClient(line, nonce);
    const p = c.kexec('k1', { bootTimeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 10));
    expect(sent[0]).toMatch(/^1 KLOAD k1 [0-9a-f]{16}\n$/);
    input.write(`@@LUSIM ${nonce} BEGIN 1\n@@LUSIM ${nonce} END 1 0\n`);
    await new Promise((r) => setTimeout(r, 10));
    expect(sent[1]).toBe('2 KEXEC\n');
    input.write(`@@LUSIM ${nonce} BEGIN 2\n@@LUSIM ${nonce} D 2 kexec: no kernel loaded\n@@LUSIM ${nonce} END 2 1\n`);
    await expect(p).rejects.toMatchObject({ code: 'command-failed' });
    expect(c.currentNonce).toBe(nonce);
  });

  it('parses DEVICES lines', () => {
    expect(parseDeviceLine('bdf=0000:01:00.0 vendor=0x8086 device=0x10d3 class=0x020000 driver=- reset_method=pm,bus')).toEqual({
      bdf: '0000:01:00.0', vendor: 0x8086, device: 0x10d3, classCode: 0x020000, driver: null, resetMethods: ['pm', 'bus'],
    });
    expect(parseDeviceLine('bdf=0000:00:1f.0 vendor=0x8086 device=0x2918 class=0x060100 driver=lpc_ich reset_method=-').resetMethods).toEqual([]);
    expect(() => parseDeviceLine('bdf=0000:00:1f.0')).toThrow(AgentError);
  });
});

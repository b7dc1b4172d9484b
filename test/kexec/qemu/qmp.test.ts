import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../error-of.js';
import { type QemuInstance, launchQemu } from '../../../kexec/qemu/launcher.js';
import { QmpClient } from '../../../kexec/qemu/qmp.js';
import { fakePeer } from '../fake-server.js';

const GREETING = '{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "test"}, "capabilities": ["oob"]}}\r\n';

describe('QMP client against a scripted peer', () => {
  it('negotiates, matches replies by id out of order, and delivers interleaved events', async () => {
    const peer = await fakePeer(
      (s) => s.write(GREETING),
      (line, s) => {
        const msg = JSON.parse(line) as { execute: string; id: string };
        if (msg.execute === 'qmp_capabilities') s.write(`{"return": {}, "id": "${msg.id}"}\r\n`);
        if (msg.execute === 'slow') setTimeout(() => s.write(`{"return": "slow", "id": "${msg.id}"}\r\n`), 30);
        if (msg.execute === 'fast') {
          s.write('{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "RESET", "data": {"guest": false}}\r\n');
          s.write(`{"return": "fast", "id": "${msg.id}"}\r\n`);
        }
        if (msg.execute === 'bad') s.write(`{"error": {"class": "CommandNotFound", "desc": "The command bad has not been found"}, "id": "${msg.id}"}\r\n`);
      },
    );
    const qmp = await QmpClient.connect(peer.path);
    expect(qmp.greeting?.QMP.version.qemu.major).toBe(7);
    const since = qmp.eventCursor();
    const [slow, fast] = await Promise.all([qmp.execute('slow'), qmp.execute('fast')]);
    expect([slow, fast]).toEqual(['slow', 'fast']);
    // The RESET arrived before anyone waited: `since` still finds it.
    expect((await qmp.waitForEvent('RESET', { since })).data).toEqual({ guest: false });
    const err = await errorOf(qmp.execute('bad'));
    expect(err.code).toBe('qmp-error');
    expect(err.details).toMatchObject({ errorClass: 'CommandNotFound' });
    qmp.close();
    await peer.close();
  });

  it('rejects a peer that does not greet with QMP as qmp-protocol', async () => {
    const peer = await fakePeer((s) => s.write('{"hello": 1}\n'), () => undefined);
    expect((await errorOf(QmpClient.connect(peer.path))).code).toBe('qmp-protocol');
    await peer.close();
  });

  it('fails pending commands and event waits with qmp-disconnect when the socket closes', async () => {
    const peer = await fakePeer(
      (s) => s.write(GREETING),
      (line, s) => {
        const msg = JSON.parse(line) as { execute: string; id: string };
        if (msg.execute === 'qmp_capabilities') s.write(`{"return": {}, "id": "${msg.id}"}\n`);
        else s.destroy();
      },
    );
    const qmp = await QmpClient.connect(peer.path);
    const wait = errorOf(qmp.waitForEvent('SHUTDOWN', { timeoutMs: 5000 }));
    expect((await errorOf(qmp.execute('quit'))).code).toBe('qmp-disconnect');
    expect((await wait).code).toBe('qmp-disconnect');
    await peer.close();
  });

  it('times out a command and an event wait with typed errors', async () => {
    const peer = await fakePeer(
      (s) => s.write(GREETING),
      (line, s) => {
        const msg = JSON.parse(line) as { execute: string; id: string };
        if (msg.execute === 'qmp_capabilities') s.write(`{"return": {}, "id": "${msg.id}"}\n`);
      },
    );
    const qmp = await QmpClient.connect(peer.path);
    expect((await errorOf(qmp.execute('never', undefined, 100))).code).toBe('timeout');
    expect((await errorOf(qmp.waitForEvent('RESET', { timeoutMs: 100 }))).code).toBe('timeout');
    qmp.close();
    await peer.close();
  });
});

describe('QMP client against QEMU 7.2', () => {
  let q: QemuInstance;
  beforeAll(async () => {
    q = await launchQemu({ devices: [{ driver: 'e1000e', id: 'nic0' }] });
  });
  afterAll(async () => {
    await q?.close();
  });

  it('reports the hermetic VM as prelaunch and QEMU 7.2 in the greeting', async () => {
    expect(q.qmp.greeting?.QMP.version.qemu).toMatchObject({ major: 7, minor: 2 });
    expect(await q.qmp.execute('query-status')).toMatchObject({ status: 'prelaunch', running: false });
  });

  it('surfaces QEMU error class and description', async () => {
    const err = await errorOf(q.qmp.execute('no-such-command'));
    expect(err.code).toBe('qmp-error');
    expect(err.details).toMatchObject({ errorClass: 'CommandNotFound' });
  });

  it('runs HMP commands and reports system_reset as a RESET event', async () => {
    expect(await q.qmp.hmp('info pci')).toContain('Ethernet controller: PCI device 8086:10d3');
    const since = q.qmp.eventCursor();
    await q.qmp.execute('system_reset');
    const reset = await q.qmp.waitForEvent('RESET', { since, timeoutMs: 5000 });
    expect(reset.data).toMatchObject({ guest: false, reason: 'host-qmp-system-reset' });
  });
});

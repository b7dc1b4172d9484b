import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../error-of.js';
import { chooseAccel } from '../../../kexec/qemu/accel.js';
import { type QemuInstance, behindRootPorts, buildQemuArgs, deviceArgs, launchQemu, withQemu } from '../../../kexec/qemu/launcher.js';

/** Running, as opposed to gone or a zombie (this sandbox's PID 1 does not reap orphans). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function expectGone(q: { pid: number; dir: string }): void {
  expect(alive(q.pid)).toBe(false);
  expect(existsSync(q.dir)).toBe(false);
}

describe('argument builder', () => {
  it('builds a hermetic q35 command line with private sockets and quiet qtest', () => {
    const args = buildQemuArgs({ devices: behindRootPorts([{ driver: 'nvme', id: 'nvme0', props: { serial: 'n1' } }]) }, '/tmp/d');
    const s = args.join(' ');
    expect(s).toContain('-M q35 -accel tcg');
    expect(args).toContain('-S');
    expect(s).toContain('-qmp unix:/tmp/d/qmp.sock,server=on,wait=off');
    expect(s).toContain('-qtest unix:/tmp/d/qtest.sock,server=on,wait=off -qtest-log none');
    expect(s).toContain('-device pcie-root-port,id=rp-nvme0,bus=pcie.0,chassis=1,slot=0');
    expect(s).toContain('-device nvme,id=nvme0,bus=rp-nvme0,serial=n1');
    expect(args).not.toContain('-kernel');
  });

  it('adds the kernel, initrd and command line for a booting guest', () => {
    const args = buildQemuArgs({ accel: chooseAccel({ env: 'kvm' }), boot: { kernel: '/k', initrd: '/i', append: 'console=ttyS0 quiet' } }, '/d');
    expect(args.join(' ')).toContain('-M q35 -accel kvm -accel tcg');
    expect(args.slice(args.indexOf('-kernel'))).toEqual(['-kernel', '/k', '-initrd', '/i', '-append', 'console=ttyS0 quiet']);
  });

  it('gives every port its own chassis and refuses bad ids, unknown buses and commas', () => {
    const args = deviceArgs([{ driver: 'pcie-root-port', id: 'a' }, { driver: 'ioh3420', id: 'b' }, { driver: 'x3130-upstream', id: 'u', bus: 'a' }, { driver: 'xio3130-downstream', id: 'd', bus: 'u' }]);
    expect(args.filter((a) => a.includes('chassis=')).map((a) => /chassis=(\d+)/.exec(a)?.[1])).toEqual(['1', '2', '3']);
    expect(() => deviceArgs([{ driver: 'e1000e', id: '1nic' }])).toThrow(/must start with a letter/);
    expect(() => deviceArgs([{ driver: 'e1000e', id: 'n', bus: 'nope' }])).toThrow(/not the id of a port/);
    expect(() => deviceArgs([{ driver: 'e1000e', id: 'n', props: { romfile: 'a,b' } }])).toThrow(/no comma/);
    expect(() => deviceArgs([{ driver: 'e1000e', id: 'n' }, { driver: 'e1000e', id: 'n' }])).toThrow(/used twice/);
    expect(() => buildQemuArgs({ consoleLogFile: '/tmp/a,b.log' }, '/d')).toThrow(/comma/);
  });

  // Two nvme with one serial share a subsystem NQN and the guest's nvme driver ignores the second
  // (nvme_init_subsystem): a real `lusim fuzz --qemu` sample (seed 55, sample 3) showed it.
  it('gives every nvme its own serial, around the serials given', () => {
    const args = deviceArgs([{ driver: 'nvme', id: 'a' }, { driver: 'nvme', id: 'b', props: { serial: 'lusim1' } }, { driver: 'nvme', id: 'c' }, { driver: 'e1000e', id: 'n' }]);
    expect(args.filter((a) => a.startsWith('nvme')).map((a) => /serial=([^,]+)/.exec(a)?.[1])).toEqual(['lusim0', 'lusim1', 'lusim2']);
    expect(args.find((a) => a.startsWith('e1000e'))).not.toContain('serial');
  });
});

describe('QEMU lifecycle: nothing is left behind', () => {
  it('starts hermetic QEMU in a private 0700 directory and cleans up after success', async () => {
    let seen!: QemuInstance;
    const status = await withQemu({}, async (q) => {
      seen = q;
      expect(statSync(q.dir).mode & 0o777).toBe(0o700);
      expect(alive(q.pid)).toBe(true);
      return q.qmp.execute<{ status: string }>('query-status');
    });
    expect(status.status).toBe('prelaunch');
    expect(seen.accelerator.name).toBe('tcg');
    expectGone(seen);
  });

  it('cleans up after an error thrown inside fn and rethrows it', async () => {
    let seen!: QemuInstance;
    await expect(
      withQemu({}, async (q) => {
        seen = q;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expectGone(seen);
  });

  it('turns an external kill into typed errors and still removes the directory', async () => {
    let seen!: QemuInstance;
    const err = await errorOf(
      withQemu({}, async (q) => {
        seen = q;
        process.kill(q.pid, 'SIGKILL');
        await q.exited;
        return q.qtest.readl(0);
      }),
    );
    expect(err.code).toBe('qtest-disconnect');
    expectGone(seen);
  });

  it('kills QEMU when fn outlives the timeout', async () => {
    let seen!: QemuInstance;
    const err = await errorOf(
      withQemu(
        {},
        async (q) => {
          seen = q;
          await new Promise((r) => setTimeout(r, 5000));
        },
        300,
      ),
    );
    expect(err.code).toBe('timeout');
    expectGone(seen);
  });

  it('reports a missing binary as qemu-missing with the apt-get line', async () => {
    const err = await errorOf(launchQemu({ qemuBinary: 'qemu-system-x86_64-not-installed' }));
    expect(err.code).toBe('qemu-missing');
    expect(err.message).toContain('apt-get install qemu-system-x86');
  });

  it('reports a bad device as qemu-exited with QEMU\'s own message', async () => {
    const err = await errorOf(launchQemu({ devices: [{ driver: 'no-such-device', id: 'x' }] }));
    expect(err.code).toBe('qemu-exited');
    expect(err.message).toContain("'no-such-device' is not a valid device model name");
  });

  it('a SIGKILL of lusim takes QEMU down too (parent-death signal), and the next run removes its directory', async () => {
    const { spawn } = await import('node:child_process');
    const { dirname } = await import('node:path');
    const { cleanStaleDirs } = await import('../../../kexec/process/private-dir.js');
    const script = `
      import { launchQemu } from ${JSON.stringify(new URL('../../../kexec/qemu/launcher.ts', import.meta.url).pathname)};
      const q = await launchQemu();
      console.log(JSON.stringify({ pid: q.pid, dir: q.dir }));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const info = await new Promise<{ pid: number; dir: string }>((resolve) => {
      child.stdout.setEncoding('utf8');
      child.stdout.once('data', (d: string) => resolve(JSON.parse(d) as { pid: number; dir: string }));
    });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const end = Date.now() + 5000;
    while (alive(info.pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(info.dir)).toBe(true);
    expect(cleanStaleDirs(dirname(info.dir))).toContain(info.dir);
    expectGone(info);
  }, 30_000);

  it('a SIGTERM kills QEMU at once, the run ends its wait, cleans up and exits 143 (kexec/process/cleanup.ts)', async () => {
    const { spawn } = await import('node:child_process');
    const here = (f: string) => JSON.stringify(new URL(f, import.meta.url).pathname);
    // The run's shape: it waits on QEMU; the interrupt kills QEMU, the wait ends, the run closes and exits.
    const script = `
      import { launchQemu } from ${here('../../../kexec/qemu/launcher.ts')};
      import { interruptedBy } from ${here('../../../kexec/process/cleanup.ts')};
      const q = await launchQemu();
      console.log(JSON.stringify({ pid: q.pid, dir: q.dir }));
      await q.exited;
      await q.close();
      process.exit(interruptedBy()?.exitCode ?? 0);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const info = await new Promise<{ pid: number; dir: string }>((resolve) => {
      child.stdout.setEncoding('utf8');
      child.stdout.once('data', (d: string) => resolve(JSON.parse(d) as { pid: number; dir: string }));
    });
    expect(alive(info.pid)).toBe(true);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(stderr).toContain('lusim: interrupted by SIGTERM: stopping QEMU and saving the partial report');
    await new Promise((r) => setTimeout(r, 100));
    expectGone(info);
  }, 30_000);
});

/**
 * The initramfs builder: newc bytes (checked by a reader written from init/initramfs.c's
 * do_header/do_name rules and by the host's GNU cpio), module dependency resolution, and the
 * image's contents and content addressing (with a fake kernel; the e2e suite boots real ones).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { buildInitramfs, InitramfsError, moduleDepends, modulesDep, planDrivers, resolveModules, S_IFCHR, S_IFDIR, S_IFREG, writeNewc, type CpioEntry } from '../../../kexec/guest/initramfs.js';
import type { KernelImage } from '../../../kexec/kernels/kernels.js';
import { readNewc } from '../helpers/newc.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'lusim-initramfs-test-'));
  dirs.push(d);
  return d;
}

describe('newc writer', () => {
  it('round-trips any set of files and directories', () => {
    const entry = fc.record({
      path: fc.stringMatching(/^[a-z0-9_.-]{1,12}(\/[a-z0-9_.-]{1,12}){0,3}$/),
      dir: fc.boolean(),
      data: fc.uint8Array({ maxLength: 70 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => e.path, maxLength: 12 }), (es) => {
        const entries: CpioEntry[] = es.map((e) => (e.dir ? { path: e.path, mode: S_IFDIR | 0o755 } : { path: e.path, mode: S_IFREG | 0o644, data: e.data }));
        const back = readNewc(writeNewc(entries));
        expect(back.map((b) => b.path)).toEqual(entries.map((e) => e.path));
        back.forEach((b, i) => {
          expect(b.mode).toBe(entries[i]!.mode);
          expect(b.ino).toBe(i + 1);
          expect([...b.data]).toEqual([...(entries[i]!.data ?? [])]);
        });
      }),
    );
  });

  it('is read by GNU cpio, device nodes included', () => {
    const entries: CpioEntry[] = [
      { path: 'dev', mode: S_IFDIR | 0o755 },
      { path: 'dev/console', mode: S_IFCHR | 0o600, rdev: [5, 1] },
      { path: 'init', mode: S_IFREG | 0o755, data: Buffer.from('#!/bin/sh\n') },
      { path: 'odd', mode: S_IFREG | 0o644, data: Buffer.from('abc') },
    ];
    const res = spawnSync('cpio', ['-itv', '--quiet'], { input: writeNewc(entries) });
    expect(res.status).toBe(0);
    const lines = res.stdout.toString().trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/).pop())).toEqual(['dev', 'dev/console', 'init', 'odd']);
    expect(lines[1]).toMatch(/^crw------- .* 5,\s*1 /);
    expect(lines[2]).toMatch(/^-rwxr-xr-x .* 10 /);
  });
});

/** A module file: some bytes, then a .modinfo-like run of NUL-terminated key=value strings. */
function ko(name: string, depends: string[]): Buffer {
  return Buffer.concat([Buffer.from('\x7fELF....'), Buffer.from(`\0license=GPL\0depends=${depends.join(',')}\0name=${name}\0vermagic=6.12\0`)]);
}

function fakeKernel(root: string, config: string, modules: Record<string, { path: string; deps: string[] }>): KernelImage {
  const release = '6.12.0-test';
  const modulesDir = join(root, 'lib', 'modules', release);
  for (const [name, m] of Object.entries(modules)) {
    mkdirSync(join(modulesDir, 'kernel', m.path), { recursive: true });
    writeFileSync(join(modulesDir, 'kernel', m.path, `${name}.ko`), ko(name.replace(/-/g, '_'), m.deps));
  }
  writeFileSync(join(root, 'config'), config);
  writeFileSync(join(root, 'vmlinuz'), 'not a kernel');
  return { series: '6.12', release, upstream: '6.12.0', debianVersion: '6.12.0-1', packages: [], suite: 'bookworm', profile: '6.12', dir: root, vmlinuz: join(root, 'vmlinuz'), config: join(root, 'config'), modulesDir };
}

const MODULES = {
  virtio_net: { path: 'drivers/net', deps: ['net_failover'] },
  net_failover: { path: 'drivers/net', deps: ['failover'] },
  failover: { path: 'net/core', deps: [] },
  'vfio-pci': { path: 'drivers/vfio/pci', deps: ['vfio', 'vfio-pci-core'] },
  'vfio-pci-core': { path: 'drivers/vfio/pci', deps: ['vfio'] },
  vfio: { path: 'drivers/vfio', deps: [] },
};
const CONFIG = 'CONFIG_BLK_DEV_NVME=y\nCONFIG_VIRTIO_NET=m\nCONFIG_VIRTIO_PCI=y\n# CONFIG_E1000E is not set\n';

describe('modules', () => {
  it('reads depends= from .modinfo', () => {
    expect(moduleDepends(ko('x', ['a', 'b-c']))).toEqual(['a', 'b_c']);
    expect(moduleDepends(ko('x', []))).toEqual([]);
    expect(moduleDepends(Buffer.from('no modinfo here'))).toEqual([]);
  });

  it('resolves dependencies first and writes modules.dep with the full closure', () => {
    const k = fakeKernel(tmp(), CONFIG, MODULES);
    const mods = resolveModules(k.modulesDir, ['virtio_net', 'vfio-pci']);
    expect(mods.map((m) => m.name)).toEqual(['failover', 'net_failover', 'virtio_net', 'vfio', 'vfio_pci_core', 'vfio_pci']);
    const dep = modulesDep(mods).trim().split('\n');
    expect(dep).toContain('kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko');
    expect(dep).toContain('kernel/net/core/failover.ko:');
    expect(dep).toContain('kernel/drivers/vfio/pci/vfio-pci.ko: kernel/drivers/vfio/vfio.ko kernel/drivers/vfio/pci/vfio-pci-core.ko');
  });

  it('names the missing module and who needed it', () => {
    const k = fakeKernel(tmp(), CONFIG, { virtio_net: { path: 'drivers/net', deps: ['net_failover'] } });
    expect(() => resolveModules(k.modulesDir, ['virtio_net'])).toThrow(/net_failover \(needed by virtio_net\)/);
  });

  it('plans drivers from the kernel config', () => {
    const plan = planDrivers(fakeKernel(tmp(), CONFIG, MODULES));
    expect(plan.modules).toEqual(['virtio_net']);
    expect(plan.builtin).toEqual(['nvme', 'virtio_pci']);
    expect(plan.absent).toEqual(['e1000e', 'virtio_blk', 'xhci_pci']);
  });

  it('plans only the drivers of the devices the guest has', () => {
    const k = fakeKernel(tmp(), CONFIG, MODULES);
    expect(planDrivers(k, ['e1000e', 'nvme'])).toEqual({ modules: [], builtin: ['nvme'], absent: ['e1000e'] });
    expect(planDrivers(k, ['virtio-net-pci'])).toEqual({ modules: ['virtio_net'], builtin: ['virtio_pci'], absent: [] });
    expect(planDrivers(k, ['pcie-root-port'])).toEqual({ modules: [], builtin: [], absent: [] });
  });
});

describe('image', () => {
  it('rewrites a cached image whose bytes are no longer the image it is named after (truncated, damaged)', () => {
    const root = tmp();
    const k = fakeKernel(join(root, 'k'), CONFIG, MODULES);
    const a = buildInitramfs({ kernel: k }, root);
    const good = readFileSync(a.path);
    writeFileSync(a.path, good.subarray(0, good.length - 100));
    expect(buildInitramfs({ kernel: k }, root)).toMatchObject({ cached: false, path: a.path });
    expect(readFileSync(a.path).equals(good)).toBe(true);
    const damaged = Buffer.from(good);
    damaged[200] = damaged[200]! ^ 0xff;
    writeFileSync(a.path, damaged);
    expect(buildInitramfs({ kernel: k }, root).cached).toBe(false);
    expect(readFileSync(a.path).equals(good)).toBe(true);
    expect(buildInitramfs({ kernel: k }, root).cached).toBe(true);
  });

  it('holds the agent, busybox, kexec with its libraries, modules and next kernels; same inputs, same file', () => {
    const root = tmp();
    const k = fakeKernel(join(root, 'k'), CONFIG, MODULES);
    const next = { name: 'k1', kernel: k, initrd: k.config, cmdline: 'console=ttyS0 memmap=0x100000$0x20000000', memMin: 0x2010_0000 };
    const a = buildInitramfs({ kernel: k, next: [next] }, root);
    const b = buildInitramfs({ kernel: k, next: [next] }, root);
    expect(a.cached).toBe(false);
    expect(b).toMatchObject({ cached: true, path: a.path, sha256: a.sha256 });
    expect(a.path).toBe(join(root, 'initramfs', `${a.sha256}.cpio`));
    expect(a.modules).toEqual(['failover', 'net_failover', 'virtio_net']);

    const files = new Map(readNewc(readFileSync(a.path)).map((e) => [e.path, e]));
    for (const p of ['init', 'lusim/agent.sh', 'bin/busybox', 'sbin/kexec', 'lib64/ld-linux-x86-64.so.2', 'dev/console', 'lusim/next/k1/vmlinuz', 'proc', 'sys', 'tmp']) expect(files.has(p), p).toBe(true);
    expect(files.get('init')!.mode).toBe(S_IFREG | 0o755);
    expect(files.get('dev/console')!.rdev).toEqual([5, 1]);
    expect(files.get('lusim/next/k1/cmdline')!.data.toString()).toBe('console=ttyS0 memmap=0x100000$0x20000000\n');
    expect(files.get('lusim/next/k1/mem-min')!.data.toString()).toBe('0x20100000\n');
    expect(files.get('lusim/modules.load')!.data.toString().trim().split('\n')).toEqual([
      '/lib/modules/6.12.0-test/kernel/net/core/failover.ko',
      '/lib/modules/6.12.0-test/kernel/drivers/net/net_failover.ko',
      '/lib/modules/6.12.0-test/kernel/drivers/net/virtio_net.ko',
    ]);
    expect(files.has('lib/modules/6.12.0-test/modules.dep')).toBe(true);
  });

  it('leaves kexec-tools out of the last kernel of a chain and modules of absent devices out of every image', () => {
    const root = tmp();
    const k = fakeKernel(join(root, 'k'), CONFIG, MODULES);
    const img = buildInitramfs({ kernel: k, devices: ['e1000e', 'nvme'] }, root);
    expect(img.modules).toEqual([]);
    const paths = readNewc(readFileSync(img.path)).map((e) => e.path);
    expect(paths).toContain('bin/busybox');
    expect(paths.filter((p) => p === 'sbin/kexec' || p.endsWith('.so.6') || p.endsWith('.ko'))).toEqual([]);
    expect(buildInitramfs({ kernel: k, devices: ['virtio-net-pci'] }, root).modules).toEqual(['failover', 'net_failover', 'virtio_net']);
  });

  it('refuses next-kernel names, command lines and load addresses the agent would refuse or mangle', () => {
    const root = tmp();
    const k = fakeKernel(join(root, 'k'), CONFIG, MODULES);
    const memMin = 0x2010_0000;
    expect(() => buildInitramfs({ kernel: k, next: [{ name: '../x', kernel: k, initrd: k.config, cmdline: '', memMin }] }, root)).toThrow(InitramfsError);
    expect(() => buildInitramfs({ kernel: k, next: [{ name: 'k1', kernel: k, initrd: k.config, cmdline: 'a="b c"', memMin }] }, root)).toThrow(/command line/);
    expect(() => buildInitramfs({ kernel: k, next: [{ name: 'k1', kernel: k, initrd: k.config, cmdline: 'a\nb', memMin }] }, root)).toThrow(/command line/);
    expect(() => buildInitramfs({ kernel: k, next: [{ name: 'k1', kernel: k, initrd: k.config, cmdline: '', memMin: 0x2010_0001 }] }, root)).toThrow(/memMin/);
  });
});

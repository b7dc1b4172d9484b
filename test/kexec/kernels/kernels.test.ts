/** Kernel series parsing, profile mapping, the cache manifest and the private apt configuration (hermetic: no apt runs). */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { privateApt } from '../../../kexec/kernels/apt.js';
import { checkRange, DEFAULT_HANDOVER, grubWord, guestCmdline, HandoverError, memmapArg, reservedInIomem, shellWord } from '../../../kexec/run/handover.js';
import { cacheRoot, compareVersions, findKernel, kernelConfig, KernelError, listKernels, parseSeries, profileFor, requireKernel, upstreamOf, verifyKernel } from '../../../kexec/kernels/kernels.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'lusim-kernels-test-'));
  dirs.push(d);
  return d;
}

/** A cache entry as fetchKernel leaves it (kernel.json written last). */
function fakeKernel(root: string, release: string, series: string, upstream: string, withManifest = true): void {
  const dir = join(root, 'kernels', release);
  mkdirSync(join(dir, 'root', 'boot'), { recursive: true });
  writeFileSync(join(dir, 'root', 'boot', `config-${release}`), 'CONFIG_BLK_DEV_NVME=y\nCONFIG_VIRTIO_NET=m\n# CONFIG_E1000E is not set\nCONFIG_LOCALVERSION="-cloud"\n');
  if (!withManifest) return;
  writeFileSync(join(dir, 'kernel.json'), JSON.stringify({
    format: 1, series, release, upstream, debianVersion: `${upstream}-1`, packages: [`linux-image-${release}-unsigned`], suite: 'bookworm',
    profile: profileFor(series as '6.1', upstream), vmlinuz: `root/boot/vmlinuz-${release}`, config: `root/boot/config-${release}`, modulesDir: `root/lib/modules/${release}`,
  }));
}

describe('series and profiles', () => {
  it('accepts series and profile ids', () => {
    expect(['6.1', '6.1.y'].map(parseSeries)).toEqual(['6.1', '6.1']);
    expect(['6.12', '6.12.y'].map(parseSeries)).toEqual(['6.12', '6.12']);
    expect(['7', '7.x', '7.1', '7.2'].map(parseSeries)).toEqual(['7', '7', '7', '7']);
    expect(parseSeries('7.3')).toBe('7.3'); // trixie-backports (sid has 7.2.13)
    for (const bad of ['6', '6.6', '5.10', '7.1.2', '', 'latest']) expect(() => parseSeries(bad)).toThrow(KernelError);
  });

  it('maps Debian kernels to model profiles (6.12.y from 6.12.70 on)', () => {
    expect(profileFor('6.1', '6.1.192')).toBe('6.1.y');
    expect(profileFor('6.12', '6.12.69')).toBe('6.12');
    expect(profileFor('6.12', '6.12.70')).toBe('6.12.y');
    expect(profileFor('6.12', '6.12.117')).toBe('6.12.y');
    // 7.x by minor version, each profile read in its own source (Debian linux-source 7.2.13, 7.3.4).
    expect(profileFor('7', '7.1.3')).toBe('7.1');
    expect(profileFor('7', '7.2.13')).toBe('7.2');
    expect(profileFor('7', '7.3.4')).toBe('7.3');
    expect(profileFor('7', '7.4.1')).toBe('7.3');
  });

  it('reads the upstream version from the Debian version', () => {
    expect(upstreamOf('6.1.192-2')).toBe('6.1.192');
    expect(upstreamOf('6.12.117-1~deb12u1')).toBe('6.12.117');
    expect(upstreamOf('7.2.13-1')).toBe('7.2.13');
  });

  it('compares versions numerically', () => {
    expect(compareVersions('6.12.117', '6.12.70')).toBeGreaterThan(0);
    expect(compareVersions('6.1.0-9', '6.1.0-56')).toBeLessThan(0);
    expect(compareVersions('7.2', '7.2.0')).toBe(0);
  });
});

describe('cache', () => {
  it('is $XDG_CACHE_HOME/lusim, else ~/.cache/lusim', () => {
    expect(cacheRoot({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/lusim');
    expect(cacheRoot({})).toMatch(/\.cache\/lusim$/);
  });

  it('lists complete entries only, newest first within a series', () => {
    const root = tmp();
    fakeKernel(root, '6.12.70+deb12-cloud-amd64', '6.12', '6.12.70');
    fakeKernel(root, '6.12.117+deb12-cloud-amd64', '6.12', '6.12.117');
    fakeKernel(root, '6.1.0-56-cloud-amd64', '6.1', '6.1.192');
    fakeKernel(root, '6.1.0-99-cloud-amd64', '6.1', '6.1.999', false); // interrupted fetch
    expect(listKernels(root).map((k) => k.release)).toEqual(['6.1.0-56-cloud-amd64', '6.12.117+deb12-cloud-amd64', '6.12.70+deb12-cloud-amd64']);
    const k = findKernel('6.12.y', root)!;
    expect(k.config).toBe(join(root, 'kernels', k.release, 'root', 'boot', `config-${k.release}`));
    expect(kernelConfig(k).get('CONFIG_VIRTIO_NET')).toBe('m');
    expect(kernelConfig(k).get('CONFIG_LOCALVERSION')).toBe('-cloud');
    expect(kernelConfig(k).has('CONFIG_E1000E')).toBe(false);
  });

  it('says how to fetch a kernel that is missing', () => {
    const root = tmp();
    expect(() => requireKernel('7.x', root)).toThrow(/lusim kernels fetch 7\.x/);
    try {
      requireKernel('7.x', root);
    } catch (e) {
      expect((e as KernelError).code).toBe('not-cached');
    }
  });
});

describe('cache verification (issue 13: a damaged cache is named, not booted)', () => {
  const errorOf = (f: () => unknown) => {
    try {
      f();
      return undefined;
    } catch (e) {
      return e as KernelError;
    }
  };
  function cached() {
    const root = tmp();
    const release = '6.12.117+deb12-cloud-amd64';
    fakeKernel(root, release, '6.12', '6.12.117');
    const vmlinuz = join(root, 'kernels', release, 'root', 'boot', `vmlinuz-${release}`);
    writeFileSync(vmlinuz, Buffer.alloc(4096, 0x5a));
    return { root, vmlinuz, k: requireKernel('6.12', root) };
  }
  it('records size, mtime and SHA-256 on first use; an intact file passes, also after a touch', () => {
    const { root, vmlinuz, k } = cached();
    verifyKernel(k);
    const m = JSON.parse(readFileSync(join(k.dir, 'kernel.json'), 'utf8')) as { files: Record<string, { size: number; sha256: string }> };
    expect(m.files[`root/boot/vmlinuz-${k.release}`]).toMatchObject({ size: 4096, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    utimesSync(vmlinuz, new Date(), new Date(Date.now() + 60_000));
    expect(errorOf(() => verifyKernel(requireKernel('6.12', root)))).toBeUndefined();
  });
  it('a corrupted or missing vmlinuz is corrupt-cache naming the file and what to do', () => {
    const { vmlinuz, k } = cached();
    verifyKernel(k);
    writeFileSync(vmlinuz, Buffer.alloc(4096, 0x00));
    const e = errorOf(() => verifyKernel(k));
    expect(e?.code).toBe('corrupt-cache');
    expect(e?.message).toMatch(/vmlinuz-6\.12\.117\+deb12-cloud-amd64 changed since it was fetched \(4096 bytes, SHA-256 [0-9a-f]{16}\.\.\., recorded 4096 bytes/);
    expect(e?.message).toMatch(/rm -rf '.*' && lusim kernels fetch$/);
    rmSync(vmlinuz);
    expect(errorOf(() => verifyKernel(k))?.message).toMatch(/vmlinuz-\S+ is missing/);
  });
  it('a corrupt kernel.json is corrupt-cache, not an internal error', () => {
    const { root, k } = cached();
    writeFileSync(join(k.dir, 'kernel.json'), '{"format": 1, "rel');
    const e = errorOf(() => listKernels(root));
    expect(e).toBeInstanceOf(KernelError);
    expect(e?.message).toMatch(/kernel\.json is not readable JSON/);
    writeFileSync(join(k.dir, 'kernel.json'), '{"format": 1}');
    expect(errorOf(() => listKernels(root))?.message).toMatch(/kernel\.json lacks its release/);
  });
});

describe('private apt configuration', () => {
  it('keeps sources, lists and archives under the cache and ignores sources.list.d', () => {
    const root = tmp();
    const ctx = privateApt(root, 'sid');
    const opts = ctx.options.filter((_, i) => i % 2 === 1);
    expect(opts).toContain(`Dir::Etc::sourcelist=${join(root, 'apt', 'sid', 'sources.list')}`);
    expect(opts).toContain('Dir::Etc::sourceparts=-');
    expect(opts).toContain(`Dir::State::Lists=${join(root, 'apt', 'sid', 'lists')}`);
    expect(opts).toContain(`Dir::Cache=${join(root, 'apt', 'sid', 'cache')}`);
    expect(opts).toContain('APT::Get::List-Cleanup=0');
    expect(ctx.options.filter((_, i) => i % 2 === 0).every((o) => o === '-o')).toBe(true);
    expect(readFileSync(join(root, 'apt', 'sid', 'sources.list'), 'utf8')).toMatch(/^deb \[signed-by=\S+\] http:\/\/deb\.debian\.org\/debian sid main$/m);
  });
});

describe('memmap= handover range (both kernels\' command lines)', () => {
  it('builds the argument the kernel parses (arch/x86/kernel/e820.c parse_memmap_one: SIZE$ADDR)', () => {
    expect(memmapArg(DEFAULT_HANDOVER)).toBe('memmap=0x100000$0x20000000');
    expect(memmapArg({ base: 0x3000_0000, size: 0x2000 })).toBe('memmap=0x2000$0x30000000');
  });

  it('escapes $ for shells and GRUB, not for argv', () => {
    const arg = memmapArg(DEFAULT_HANDOVER);
    expect(shellWord(arg)).toBe(`'memmap=0x100000$0x20000000'`);
    expect(spawnSync('sh', ['-c', `printf %s ${shellWord(arg)}`]).stdout.toString()).toBe(arg);
    expect(grubWord(arg)).toBe('memmap=0x100000\\$0x20000000');
  });

  it('refuses ranges the kernel would not keep', () => {
    expect(() => checkRange({ base: 0x2000_0800, size: 0x1000 })).toThrow(HandoverError);
    expect(() => checkRange({ base: 0x8000, size: 0x1000 })).toThrow(/16 MiB/);
    expect(() => checkRange({ base: 0x2000_0000, size: 0 })).toThrow(HandoverError);
    expect(() => checkRange(DEFAULT_HANDOVER, 256 * 1024 * 1024)).toThrow(/more memory/);
    expect(checkRange(DEFAULT_HANDOVER, 1024 * 1024 * 1024)).toBe(DEFAULT_HANDOVER);
  });

  it('finds the range in /proc/iomem only when a Reserved entry covers it', () => {
    const iomem = ['00100000-1fffffff : System RAM', '20000000-200fffff : Reserved', '20100000-3ffdffff : System RAM'];
    expect(reservedInIomem(iomem, DEFAULT_HANDOVER)).toBe(true);
    expect(reservedInIomem(['00100000-3ffdffff : System RAM'], DEFAULT_HANDOVER)).toBe(false);
    expect(reservedInIomem(['20000000-2007ffff : Reserved'], DEFAULT_HANDOVER)).toBe(false);
  });
});

describe('guest command line', () => {
  it('carries the console, the agent port and the handover reservation', () => {
    expect(guestCmdline()).toBe('console=ttyS0 quiet panic=-1 tsc=reliable cryptomgr.notests lusim.tty=ttyS1 memmap=0x100000$0x20000000');
    expect(guestCmdline({ agentTty: 'ttyS0', range: { base: 0x3000_0000, size: 0x1000 } })).toContain('lusim.tty=ttyS0 memmap=0x1000$0x30000000');
    expect(guestCmdline({ kexeced: true })).toBe(`${guestCmdline()} nokaslr`);
  });
});

/**
 * The LUO route, hermetically: which kernels can take it (their config), where a build's uAPI
 * header is, what the initramfs carries for it (lusim_luo, its range, kexec_file_load for the next
 * kernel), the agent's KLUO validation (agent.sh under busybox), and the LUO kernel's config check.
 * The route itself runs in test/e2e/luo-route.test.ts on the built kernel.
 */
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newNonce } from '../../../kexec/guest/agent-client.js';
import { buildChain } from '../../../kexec/guest/initramfs.js';
import { LUO_KERNEL_OPTIONS } from '../../../kexec/luo-kernel/config.js';
import { missingOptions } from '../../../kexec/luo-kernel/build.js';
import { chooseRoute, luoHeader, luoMissing } from '../../../kexec/run/luo-route.js';
import { userKernel } from '../../../kexec/kernels/user-kernel.js';
import { DEFAULT_HANDOVER } from '../../../kexec/run/handover.js';
import { buildLuoHelper } from '../../../kexec/luo-helper/build.js';
import { cacheRoot } from '../../../kexec/kernels/kernels.js';
import { fakeTree } from '../helpers/fake-kernel.js';
import { readNewc } from '../helpers/newc.js';
import { hostAgents } from '../helpers/host-agent.js';

const agents = hostAgents();
const tmp = () => agents.scratch('lusim-luo-test-');

const LUO = 'CONFIG_LIVEUPDATE=y\nCONFIG_LIVEUPDATE_MEMFD=y\nCONFIG_KEXEC_HANDOVER=y\nCONFIG_DEVMEM=y\nCONFIG_E1000E=y\n';
const DEBIAN = '# CONFIG_KEXEC_HANDOVER is not set\nCONFIG_DEVMEM=y\nCONFIG_E1000E=y\n';

describe('which kernels take the LUO route', () => {
  it('both kernels with LIVEUPDATE, LIVEUPDATE_MEMFD, KEXEC_HANDOVER and DEVMEM: luo; anything else: memmap', () => {
    const luo = userKernel(fakeTree(tmp(), '7.3.4-luo', { config: LUO }), { root: tmp() });
    const debian = userKernel(fakeTree(tmp(), '7.3.4', { config: DEBIAN }), { root: tmp() });
    const noDevmem = userKernel(fakeTree(tmp(), '7.3.4-nodevmem', { config: LUO.replace('CONFIG_DEVMEM=y\n', '') }), { root: tmp() });
    expect(chooseRoute(luo, luo)).toBe('luo');
    expect([chooseRoute(luo, debian), chooseRoute(debian, luo), chooseRoute(luo, noDevmem)]).toEqual(['memmap', 'memmap', 'memmap']);
    expect(luoMissing(debian)).toEqual(['CONFIG_LIVEUPDATE', 'CONFIG_LIVEUPDATE_MEMFD', 'CONFIG_KEXEC_HANDOVER']);
    expect(luoMissing(noDevmem)).toEqual(['CONFIG_DEVMEM']);
  });

  it('finds the uAPI header in a tree or through a make O= tree\'s source link, and says so when it cannot', () => {
    const inTree = fakeTree(tmp(), '7.3.4-a', { config: LUO });
    mkdirSync(join(inTree, 'include/uapi/linux'), { recursive: true });
    writeFileSync(join(inTree, 'include/uapi/linux/liveupdate.h'), '');
    expect(luoHeader(userKernel(inTree, { root: tmp() }))).toBe(join(inTree, 'include/uapi/linux/liveupdate.h'));
    const src = tmp();
    mkdirSync(join(src, 'include/uapi/linux'), { recursive: true });
    writeFileSync(join(src, 'include/uapi/linux/liveupdate.h'), '');
    const out = fakeTree(tmp(), '7.3.4-b', { config: LUO });
    symlinkSync(src, join(out, 'source'));
    expect(luoHeader(userKernel(out, { root: tmp() }))).toBe(join(out, 'source/include/uapi/linux/liveupdate.h'));
    expect(() => luoHeader(userKernel(fakeTree(tmp(), '7.3.4-c', { config: LUO }), { root: tmp() }))).toThrow(/cannot find its include\/uapi\/linux\/liveupdate.h/);
  });
});

describe('the LUO route in the initramfs and the agent', () => {
  it('every image carries lusim_luo and its range; the next kernel is loaded with kexec_file_load', () => {
    const root = tmp();
    const k = userKernel(fakeTree(tmp(), '7.3.4-luo', { config: LUO }), { root });
    const [a, b] = buildChain([k, k], { cmdline: () => 'console=ttyS0 liveupdate=on', devices: ['e1000e'], handover: DEFAULT_HANDOVER, luoHelper: Buffer.from('\x7fELF helper') }, root);
    for (const img of [a!, b!]) {
      const files = new Map(readNewc(img.path).map((e) => [e.path, e]));
      expect(files.get('lusim/lusim_luo')!.data.toString()).toBe('\x7fELF helper');
      expect(files.get('lusim/luo.params')!.data.toString()).toBe(`0x${DEFAULT_HANDOVER.base.toString(16)} 0x${DEFAULT_HANDOVER.size.toString(16)}\n`);
    }
    expect(new Set(readNewc(a!.path).map((e) => e.path)).has('lusim/next/k1/kexec-file')).toBe(true);
    // Without the route nothing of it is there.
    const [plain] = buildChain([k, k], { cmdline: () => 'console=ttyS0', devices: ['e1000e'], handover: DEFAULT_HANDOVER }, root);
    expect(readNewc(plain!.path).map((e) => e.path).filter((p) => p.startsWith('lusim/') && (p.includes('luo') || p.endsWith('kexec-file')))).toEqual([]);
  });

  it('KLUO takes save or load and nothing else; without the helper it says so', async () => {
    const { client } = agents.start({ nonce: newNonce() });
    await client.waitReady(5000);
    expect(await client.request('KLUO', ['dump'])).toEqual({ rc: 2, lines: ['bad arguments for KLUO'] });
    expect(await client.request('KLUO', ['save', '0x1000'])).toEqual({ rc: 2, lines: ['bad arguments for KLUO'] });
    expect(await client.request('KLUO', ['load'])).toEqual({ rc: 5, lines: ['luo-missing: this initramfs has no lusim_luo'] });
  });
});

describe('the LUO kernel\'s config', () => {
  it('names every option olddefconfig dropped or changed', () => {
    const all = LUO_KERNEL_OPTIONS.map(([k, v]) => `CONFIG_${k}=${v}`).join('\n');
    expect(missingOptions(all)).toEqual([]);
    expect(missingOptions(all.replace('CONFIG_LIVEUPDATE_TEST=y', '# CONFIG_LIVEUPDATE_TEST is not set').replace('CONFIG_NR_CPUS=4', 'CONFIG_NR_CPUS=2'))).toEqual(['NR_CPUS=4 (got 2)', 'LIVEUPDATE_TEST=y (got n)']);
  });
});

describe('lusim_luo', () => {
  // The uAPI header of the LUO kernel's source (kexec/luo-kernel/build.ts), when it is cached.
  const src = (() => {
    const dir = join(cacheRoot(), 'luo-kernel', 'src');
    const v = existsSync(dir) ? readdirSync(dir).find((d) => existsSync(join(dir, d, '.complete'))) : undefined;
    return v ? join(dir, v, 'linux-source-7.3', 'include/uapi/linux/liveupdate.h') : undefined;
  })();
  it.skipIf(!src)('builds static against the kernel\'s own liveupdate.h, once per source and header', async () => {
    const root = tmp();
    const bin = await buildLuoHelper(src!, root);
    expect(Buffer.from(bin).subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    // Static: no PT_INTERP program header (ELF64: e_phoff at 0x20, e_phentsize 0x36, e_phnum 0x38), so no loader in the initramfs.
    const b = Buffer.from(bin);
    const types = Array.from({ length: b.readUInt16LE(0x38) }, (_, i) => b.readUInt32LE(Number(b.readBigUInt64LE(0x20)) + i * b.readUInt16LE(0x36)));
    expect(types.length).toBeGreaterThan(0);
    expect(types).not.toContain(3);
    expect(readdirSync(join(root, 'luo-helper')).filter((d) => !d.startsWith('.'))).toHaveLength(1);
    expect(Buffer.from(await buildLuoHelper(src!, root)).equals(Buffer.from(bin))).toBe(true);
  });
});

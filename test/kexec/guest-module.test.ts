/**
 * lusim's guest module from the host's side, hermetically: the agent's KPCI/KMOD commands in the real
 * agent.sh (run by busybox sh, debugfs replaced by a directory whose ctl/result files stand in for
 * lusim_pci.c's), the answer parsers, the module cache's verification, and the slot format the
 * module writes (lusim_pci.c cmd_stash: magic, size, CRC-32, then the blob).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentClient, newNonce } from '../../kexec/guest/agent-client.js';
import { buildModule, loadCachedModule, MODULE_FILE, publishModule, sourceHash } from '../../kexec/guest-module/build.js';
import type { KernelImage } from '../../kexec/kernels/kernels.js';
import { GuestModule, parseBuffers, readSlot, writeSlot } from '../../kexec/guest-module/client.js';
import { DEFAULT_HANDOVER, MODULE_SLOTS } from '../../kexec/run/handover.js';
import type { QtestClient } from '../../kexec/qemu/qtest.js';
import { hostAgents } from './helpers/host-agent.js';

const agents = hostAgents();
const tmp = () => agents.scratch('lusim-gm-test-');

/** The agent with a stand-in debugfs: ctl records each command, result holds a canned answer. */
async function agentWithModule(answer: string, o: { debugfs?: boolean } = {}): Promise<{ mod: GuestModule; client: AgentClient; ctl: string }> {
  const dir = tmp();
  const dbg = join(dir, 'debug', 'lusim_pci');
  mkdirSync(o.debugfs === false ? join(dir, 'debug') : dbg, { recursive: true });
  if (o.debugfs !== false) {
    writeFileSync(join(dbg, 'ctl'), '');
    writeFileSync(join(dbg, 'result'), answer);
  }
  const { client } = agents.start({ nonce: newNonce(), dir, env: { LUSIM_DEBUGFS: join(dir, 'debug') } });
  await client.waitReady(5000);
  return { mod: new GuestModule(client), client, ctl: join(dbg, 'ctl') };
}

describe('guest module commands through agent.sh', () => {
  it('passes a validated command to the module and parses its answer', async () => {
    const { mod, ctl } = await agentWithModule('ret=0 size=94\n');
    expect(await mod.store('0000:01:00.0')).toEqual({ ret: 0, size: 94 });
    expect(readFileSync(ctl, 'utf8')).toBe('store 0000:01:00.0\n');
    expect(await mod.stash(3)).toEqual({ ret: 0, size: 94 });
    expect(readFileSync(ctl, 'utf8')).toBe('stash 3\n');
  });

  it('refuses unknown verbs, bad BDFs and slots beyond 31 in the agent, before the module sees them', async () => {
    const { client, ctl } = await agentWithModule('ret=0\n');
    for (const args of [['rm', '0000:01:00.0'], ['save', '01:00.0'], ['save', '$(reboot)'], ['stash', '32'], ['stash', '-1'], ['blob', 'x']]) {
      expect((await client.request('KPCI', args)).rc, args.join(' ')).toBe(2);
    }
    expect(readFileSync(ctl, 'utf8')).toBe('');
  });

  it('KMOD without a module in the image is a typed load error, not a hang', async () => {
    const { mod } = await agentWithModule('');
    await expect(mod.load()).rejects.toMatchObject({ name: 'GuestModuleError', code: 'load-failed', message: expect.stringMatching(/no guest module in this initramfs/) });
  });

  it('a module command without the module\'s debugfs files is a typed debugfs-missing error that says what to do', async () => {
    const { mod } = await agentWithModule('', { debugfs: false });
    await expect(mod.store('0000:01:00.0')).rejects.toMatchObject({ name: 'GuestModuleError', code: 'debugfs-missing', message: expect.stringMatching(/not loaded \(KMOD first\).*--saver host/) });
  });

  it('parses the buffer list in list order with state_saved', () => {
    expect(parseBuffers(['state_saved=1', 'cap nr=0x01 ext=1 size=4 data=00400000', 'cap nr=0x10 ext=0 size=2 data=1f29'])).toEqual({
      stateSaved: true,
      buffers: [
        { capNr: 0x01, extended: true, size: 4, data: Uint8Array.from([0, 0x40, 0, 0]) },
        { capNr: 0x10, extended: false, size: 2, data: Uint8Array.from([0x1f, 0x29]) },
      ],
    });
    expect(() => parseBuffers(['oops'])).toThrow(/state_saved/);
  });
});

describe('guest module cache', () => {
  const release = '6.1.0-57-cloud-amd64';
  function cached(ko: Buffer): string {
    const dir = tmp();
    writeFileSync(join(dir, MODULE_FILE), ko);
    const sha256 = createHash('sha256').update(ko).digest('hex');
    writeFileSync(join(dir, 'module.json'), JSON.stringify({ release, size: ko.length, sha256 }));
    return dir;
  }
  const ko = Buffer.from(`\x7fELF...vermagic=${release} SMP mod_unload modversions \0...`);

  it('uses an intact module built for the release', () => {
    expect(loadCachedModule(cached(ko), release, 'h')).toMatchObject({ release, cached: true });
  });

  it('rebuilds (returns nothing for) a corrupt, truncated, foreign or unrecorded module', () => {
    const dir = cached(ko);
    writeFileSync(join(dir, MODULE_FILE), Buffer.concat([ko.subarray(0, 10), Buffer.from('X'), ko.subarray(11)]));
    expect(loadCachedModule(dir, release, 'h')).toBeUndefined();
    expect(loadCachedModule(cached(ko.subarray(0, 20)), release, 'h')).toBeUndefined();
    expect(loadCachedModule(cached(ko), '6.12.117+deb12-cloud-amd64', 'h')).toBeUndefined();
    const bare = tmp();
    writeFileSync(join(bare, MODULE_FILE), ko);
    expect(loadCachedModule(bare, release, 'h')).toBeUndefined();
  });

  it('a finished build does not replace an intact module another run published meanwhile (fuzz/suite --qemu --jobs), and replaces a broken one', () => {
    const root = tmp();
    const dir = join(root, 'hash');
    const built = (tag: string) => { const out = join(root, `.build-${tag}.out`); mkdirSync(out); writeFileSync(join(out, MODULE_FILE), tag); return out; };
    const intact = () => { try { return readFileSync(join(dir, MODULE_FILE), 'utf8') !== 'broken'; } catch { return false; } };
    publishModule(built('first'), dir, intact);
    const second = built('second');
    publishModule(second, dir, intact);
    expect(readFileSync(join(dir, MODULE_FILE), 'utf8')).toBe('first');
    expect(() => readFileSync(join(second, MODULE_FILE))).toThrow();
    writeFileSync(join(dir, MODULE_FILE), 'broken');
    publishModule(built('third'), dir, intact);
    expect(readFileSync(join(dir, MODULE_FILE), 'utf8')).toBe('third');
  });
});

describe('handover slots', () => {
  /** Guest memory for the slot helpers: the two QtestClient calls they use. */
  function memory(): QtestClient {
    const mem = new Uint8Array(DEFAULT_HANDOVER.size);
    const at = (a: number | bigint) => Number(a) - DEFAULT_HANDOVER.base;
    return {
      read: async (a: number | bigint, n: number) => mem.slice(at(a), at(a) + n),
      write: async (a: number | bigint, d: Uint8Array) => void mem.set(d, at(a)),
    } as unknown as QtestClient;
  }

  it('round-trips a blob and refuses an empty slot or a flipped byte (CRC-32)', async () => {
    const q = memory();
    const blob = Uint8Array.from({ length: 94 }, (_, i) => i);
    await writeSlot(q, DEFAULT_HANDOVER, 5, blob);
    expect(await readSlot(q, DEFAULT_HANDOVER, 5)).toEqual(blob);
    expect(await readSlot(q, DEFAULT_HANDOVER, 4)).toBeUndefined();
    const addr = DEFAULT_HANDOVER.base + MODULE_SLOTS.offset(DEFAULT_HANDOVER) + 5 * MODULE_SLOTS.size + MODULE_SLOTS.header + 10;
    await q.write(addr, Uint8Array.from([0xee]));
    expect(await readSlot(q, DEFAULT_HANDOVER, 5)).toBeUndefined();
    await expect(writeSlot(q, DEFAULT_HANDOVER, 32, blob)).rejects.toThrow(/slot 32/);
  });
});

describe('guest module build failures', () => {
  const kernel = (over: Partial<KernelImage>): KernelImage => ({
    series: '6.1', release: '6.1.0-99-cloud-amd64', upstream: '6.1.999', debianVersion: '6.1.999-1', packages: [], suite: 'bookworm',
    profile: '6.1.y', dir: '/nonexistent', vmlinuz: '/nonexistent/vmlinuz', config: '/nonexistent/config', modulesDir: '/nonexistent/modules', ...over,
  });

  it('a compiler failure is a typed error carrying make\'s last lines', async () => {
    const root = tmp();
    const k = kernel({});
    // A headers tree whose Makefile fails the way a broken build does (modpost, a missing header).
    const tree = join(root, 'headers', k.release);
    mkdirSync(join(tree, 'root', 'usr', 'src', `linux-headers-${k.release}`), { recursive: true });
    writeFileSync(join(tree, 'root', 'usr', 'src', `linux-headers-${k.release}`, 'Makefile'), 'modules:\n\t@echo "lusim_pci.c:1:10: fatal error: linux/pci.h: No such file or directory" >&2; exit 2\n');
    writeFileSync(join(tree, 'headers.json'), JSON.stringify({ release: k.release, packages: [] }));
    await expect(buildModule(k, root)).rejects.toMatchObject({ name: 'GuestModuleError', code: 'build-failed', message: expect.stringMatching(/linux\/pci\.h: No such file/) });
  });

  it('a module source missing beside the code (a damaged install) is a typed error naming the file', () => {
    const dir = tmp();
    expect(() => sourceHash(dir)).toThrow(expect.objectContaining({ name: 'GuestModuleError', code: 'source-missing', message: `cannot read the guest module's source ${join(dir, 'lusim_pci.c')} (no such file): reinstall lusim, or run npm run build again in a checkout; cycle --qemu --saver host and fidelity --modes plain run without it.` }));
    expect(sourceHash()).toMatch(/^[0-9a-f]{16}$/);
  });

  it('headers Debian does not have are a typed error saying what to do', async () => {
    const k = kernel({ release: '6.1.0-0-lusim-nonexistent', debianVersion: '0.0.0-0' });
    await expect(buildModule(k, tmp())).rejects.toMatchObject({ name: 'GuestModuleError', code: 'headers-missing', message: expect.stringMatching(/--saver host/) });
  }, 60_000);
});

/**
 * A user's own kernel by path (kexec/kernels/user-kernel.ts): the release read from the bzImage setup
 * header (Documentation/arch/x86/boot.rst: "HdrS" at 0x202, kernel_version at 0x20e, +0x200),
 * config, modules and headers found where `make` and `make modules_install` leave them, and one
 * typed error per thing that is wrong. Hermetic (fake images), plus the real Debian images when cached.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listKernels } from '../../../kexec/kernels/kernels.js';
import { imageVersion, isKernelPath, userKernel, UserKernelError } from '../../../kexec/kernels/user-kernel.js';
import { FAKE_CONFIG, fakeBzImage, fakeTree } from '../helpers/fake-kernel.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'lusim-user-kernel-'));
  dirs.push(d);
  return d;
}

const CONFIG = FAKE_CONFIG;
const tree = (release: string, o: Parameters<typeof fakeTree>[2] = {}) => fakeTree(tmp(), release, o);

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof UserKernelError) return e.code;
    throw e;
  }
  return undefined;
};

describe('the release from the image', () => {
  it('reads the version string the setup header points at', () => {
    const d = tmp();
    writeFileSync(join(d, 'bzImage'), fakeBzImage('7.3.0-rc2-lu+ (me@host) #1 SMP'));
    expect(imageVersion(join(d, 'bzImage'))).toEqual({ release: '7.3.0-rc2-lu+', version: '7.3.0-rc2-lu+ (me@host) #1 SMP' });
  });

  it('refuses vmlinux (ELF), a text file and a header without kernel_version', () => {
    const d = tmp();
    writeFileSync(join(d, 'vmlinux'), Buffer.concat([Buffer.from('\x7fELF', 'latin1'), Buffer.alloc(1024)]));
    writeFileSync(join(d, 'notes.txt'), 'hello\n');
    const noVersion = fakeBzImage('x');
    noVersion.writeUInt16LE(0, 0x20e);
    writeFileSync(join(d, 'nover'), noVersion);
    expect(() => imageVersion(join(d, 'vmlinux'))).toThrow(/ELF file \(vmlinux\?\).*arch\/x86\/boot\/bzImage/);
    expect(() => imageVersion(join(d, 'notes.txt'))).toThrow(/no "HdrS"/);
    expect(() => imageVersion(join(d, 'nover'))).toThrow(/no kernel_version/);
  });

  it.each(listKernels().map((k) => [k.release, k] as const))('a real Debian image: %s', (release, k) => {
    const v = imageVersion(k.vmlinuz);
    expect(v.release).toBe(release);
    // Debian's version string names the package version: 6.1.0-N hides 6.1.x in the release.
    const u = userKernel(k.vmlinuz, { modulesNeeded: false, root: tmp() });
    expect(u.upstream).toBe(k.upstream);
    expect(u.profile).toBe(k.profile);
  });
});

describe('a build directory', () => {
  it('finds image, config, modules and headers where make and modules_install leave them', () => {
    const d = tree('7.3.0-lu', { modules: true });
    const root = tmp();
    const k = userKernel(d, { root });
    expect(k).toMatchObject({ series: 'user', release: '7.3.0-lu', upstream: '7.3.0', profile: '7.3', vmlinuz: join(d, 'arch/x86/boot/bzImage'), config: join(d, '.config'), modulesDir: join(d, 'lib/modules/7.3.0-lu') });
    expect(k.build).toMatchObject({ spec: d, headersDir: d, why: '7.3.0 is 7.3', warnings: [] });
    // lusim's own files about the build live in the cache, keyed by the image and config.
    expect(k.dir.startsWith(join(root, 'user-kernels'))).toBe(true);
    expect(userKernel(d, { root }).build!.key).toBe(k.build!.key);
    // The image path inside the tree finds the same tree.
    expect(userKernel(join(d, 'arch/x86/boot/bzImage'), { root }).build!.headersDir).toBe(d);
  });

  it('names the nearest profile with a warning, and --profile-a/-b overrides it', () => {
    const d = tree('6.6.50', { modules: true });
    expect(userKernel(d, { root: tmp() }).build!.warnings).toEqual([expect.stringMatching(/no profile of its own; using the nearest, 6.1.y/)]);
    const named = userKernel(d, { root: tmp(), profile: '6.12' });
    expect(named.profile).toBe('6.12');
    expect(named.build).toMatchObject({ warnings: [], why: expect.stringMatching(/named with --profile-a\/--profile-b \(the version and config suggest 6.1.y/) });
  });

  it('errors: not a tree, a stale image, modules missing or for another release, no config', () => {
    expect(codeOf(() => userKernel(tmp()))).toBe('not-a-kernel');
    expect(() => userKernel(tmp())).toThrow(/without arch\/x86\/boot\/bzImage: not a built kernel tree/);
    expect(codeOf(() => userKernel(join(tmp(), 'nope')))).toBe('not-a-kernel');
    expect(() => userKernel(tree('7.3.1', { modules: true, treeRelease: '7.3.2' }), { root: tmp() })).toThrow(/configured for 7.3.2 but its bzImage is 7.3.1: the image is stale/);
    // e1000e is =m: the real run needs its module.
    const noMods = tree('7.3.0-nomods');
    expect(() => userKernel(noMods, { root: tmp() })).toThrow(/builds e1000e as modules and no modules for 7.3.0-nomods were found.*make modules_install INSTALL_MOD_PATH=DIR/);
    expect(userKernel(noMods, { root: tmp(), modulesNeeded: false }).release).toBe('7.3.0-nomods');
    // Everything built in: no modules needed.
    expect(userKernel(tree('7.3.0-mono', { config: 'CONFIG_E1000E=y\nCONFIG_BLK_DEV_NVME=y\n' }), { root: tmp() }).release).toBe('7.3.0-mono');
    const other = tmp();
    mkdirSync(join(other, 'lib/modules/7.2.9/kernel'), { recursive: true });
    expect(() => userKernel(noMods, { root: tmp(), modules: other })).toThrow(/holds no modules for 7.3.0-nomods \(it has 7.2.9\)/);
    const bare = tmp();
    writeFileSync(join(bare, 'vmlinuz'), fakeBzImage('7.3.0 (x) #1'));
    expect(codeOf(() => userKernel(join(bare, 'vmlinuz'), { root: tmp() }))).toBe('no-config');
  });

  it('an image in a /boot-like directory: config-<release> beside it, modules from INSTALL_MOD_PATH, no headers tree', () => {
    const boot = tmp();
    writeFileSync(join(boot, 'vmlinuz-7.2.5'), fakeBzImage('7.2.5 (x) #1'));
    writeFileSync(join(boot, 'config-7.2.5'), CONFIG);
    const mods = tmp();
    mkdirSync(join(mods, 'lib/modules/7.2.5/kernel'), { recursive: true });
    const k = userKernel(join(boot, 'vmlinuz-7.2.5'), { root: tmp(), modules: mods });
    expect(k).toMatchObject({ profile: '7.2', config: join(boot, 'config-7.2.5'), modulesDir: join(mods, 'lib/modules/7.2.5') });
    expect(k.build!.headersDir).toBeUndefined();
  });

  it('tells a path from a series or profile id', () => {
    expect(['6.12', '7.x', 'lu-pci', '6.1.y'].map(isKernelPath)).toEqual([false, false, false, false]);
    expect(['./linux', '/boot/vmlinuz-7.3', 'build/'].map(isKernelPath)).toEqual([true, true, true]);
  });
});

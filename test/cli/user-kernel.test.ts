/**
 * `--from/--to` with a user's kernel on the model, and a suite's `kernels:` naming one (through the
 * CLI, in this process): the profile from the version, the warning for a version without one,
 * --profile-a/--profile-b, the kernel's own Kconfig applied to its side, and the errors.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeTree } from '../kexec/helpers/fake-kernel.js';
import { runLusim } from './in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'lusim-cli-user-kernel-'));
const tmp = () => mkdtempSync(join(dir, 'k-'));

describe('lusim cycle --from PATH', () => {
  it('models a build by its version, applies its own .config to its side, and reports both', async () => {
    const tree = fakeTree(tmp(), '7.3.0-lu', { config: 'CONFIG_PCIEAER=n\nCONFIG_E1000E=y\n' });
    const r = await runLusim(['cycle', 'e1000e', '--from', tree, '--to', '7.3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.userKernels.from).toMatchObject({ spec: tree, release: '7.3.0-lu', profile: '7.3', why: '7.3.0 is 7.3', warnings: [] });
    expect(doc.userKernels.from.kconfig.used).toContainEqual(expect.objectContaining({ option: 'CONFIG_PCIEAER', value: 'n' }));
    // Without PCIEAER kernel A has no ERR save buffer (pci_aer_init is a stub): e1000e's blob loses
    // the 24-byte AER entry (8-byte header + 16 bytes) that Debian's config (PCIEAER=y) saves.
    const debian = JSON.parse((await runLusim(['cycle', 'e1000e', '--from', '7.3', '--to', '7.3', '--json'])).stdout);
    expect([doc.carried.bytes, debian.carried.bytes]).toEqual([94, 118]);
  });

  it('warns for a version without a profile; --profile-a names one', async () => {
    const tree = fakeTree(tmp(), '6.8.2', { config: 'CONFIG_E1000E=y\n' });
    const r = await runLusim(['cycle', 'e1000e', '--from', tree, '--to', '7.1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Kernel A: .*6\.8\.2, profile 6\.12\.y \(nearest profile to 6\.8\)\n.*warning: kernel 6\.8\.2 has no profile of its own/);
    const named = await runLusim(['cycle', 'e1000e', '--from', tree, '--to', '7.1', '--profile-a', '6.12', '--json']);
    expect(JSON.parse(named.stdout).userKernels.from).toMatchObject({ profile: '6.12', warnings: [] });
  });

  it('errors: not a kernel (exit 2), an unknown --profile-a (exit 2), --profile-a with a profile id, --matrix with a path', async () => {
    const notKernel = join(tmp(), 'notes.txt');
    writeFileSync(notKernel, 'hello\n');
    const r = await runLusim(['cycle', 'e1000e', '--from', notKernel]);
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/is not an x86 kernel image: no "HdrS"/)]);
    const tree = fakeTree(tmp(), '7.2.1', { config: 'CONFIG_E1000E=y\n' });
    expect((await runLusim(['cycle', 'e1000e', '--from', tree, '--profile-a', '9.9'])).code).toBe(2);
    expect((await runLusim(['cycle', 'e1000e', '--from', '7.2', '--profile-a', '7.1'])).stderr).toMatch(/--profile-a goes with a kernel path/);
    expect((await runLusim(['cycle', 'e1000e', '--from', tree, '--matrix'])).stderr).toMatch(/--matrix runs profile ids/);
  });

  it('--qemu: --modules-a/--modules-b with a Debian kernel is a usage error before any boot (only a build reads them)', async () => {
    const r = await runLusim(['cycle', 'e1000e', '--qemu', '--from', '6.12', '--to', '6.1', '--modules-b', tmp()]);
    expect([r.code, r.stderr.trim()]).toEqual([2, 'lusim: --modules-b goes with a kernel you built in --to; "6.1" is a Debian kernel, whose modules lusim fetches with it: drop --modules-b']);
  });
});

describe('lusim predict --from PATH', () => {
  it('predicts with the profile the build\'s version chooses, the same as naming that profile', async () => {
    const tree = fakeTree(tmp(), '6.12.40', { config: 'CONFIG_E1000E=y\n' });
    const dump = join(import.meta.dirname, '../../fixtures/qemu/nvme.lspci');
    const byPath = await runLusim(['predict', dump, '--from', tree, '--to', '6.1', '--json']);
    expect(byPath.code, byPath.stderr).toBe(0);
    const doc = JSON.parse(byPath.stdout);
    expect(doc).toMatchObject({ from: '6.12', to: '6.1', userKernels: { from: { release: '6.12.40', warnings: [] } } });
    const byId = JSON.parse((await runLusim(['predict', dump, '--from', '6.12', '--to', '6.1', '--json'])).stdout);
    expect(doc.functions).toEqual(byId.functions);
    expect((await runLusim(['predict', dump, '--from', tree, '--to', '6.1', '--profile-a', '9.9'])).code).toBe(2);
  });
});

describe('suite kernels: a build directory', () => {
  it('runs with the path relative to the suite file as the label; a wrong path is exit 2', async () => {
    const d = tmp();
    fakeTree(d, '7.2.1', { config: 'CONFIG_E1000E=y\n' });
    const suite = join(d, 'mine.yaml');
    writeFileSync(suite, 'name: mine\nkernels: [./linux, 7.2]\ncases:\n  - name: nvme\n    device: nvme\n    expect:\n      reset_method: [flr, bus]\n');
    const out = join(d, 'r.json');
    const r = await runLusim(['suite', 'run', suite, '--json', out]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/2 tests: 2 passed/);
    writeFileSync(suite, 'name: mine\nkernels: [./nope]\ncases:\n  - name: nvme\n    device: nvme\n    expect:\n      reset_method: [flr, bus]\n');
    const bad = await runLusim(['suite', 'run', suite]);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/mine\.yaml:4: kernels: no such file or directory/)]);
  });
});

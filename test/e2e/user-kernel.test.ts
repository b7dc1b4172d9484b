/**
 * Your own kernel in the real cycle (issue 14): Debian's 6.12 image placed at a path as a user's
 * build would leave it, and run by path, not by series. The build directory is made the way
 * `make` leaves one: the kernel's build tree (Debian's headers tree for that image: .config,
 * Makefile, Module.symvers, include/config/kernel.release, scripts) with the image at
 * arch/x86/boot/bzImage; the modules where `make modules_install INSTALL_MOD_PATH=DIR` puts them
 * (DIR/lib/modules/<release>). lusim reads the release from the image's setup header, picks the
 * profile from the version (6.12.117 or later: 6.12.y), builds its guest module against the tree with the
 * host's compiler, and the cycle must come out as the same kernel by series does
 * (test/e2e/real-cycle-kernel.test.ts: blobs byte for byte, load 0, restore as predicted).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, cpSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fetchHeaders } from '../../kexec/guest-module/headers.js';
import { cacheRoot, findKernel } from '../../kexec/kernels/kernels.js';
import { runRealCycle } from '../../kexec/run/real-cycle.js';
import { parseRealDevices } from '../../kexec/topology/real-devices.js';

const k612 = findKernel('6.12');
const skip = (k612 === undefined || findKernel('6.1') === undefined) && !process.env.CI;
const why = skip ? ' (SKIPPED: kernels not cached; run `npx tsx cli/main.ts kernels fetch --for-tests`)' : '';
const work = mkdtempSync(join(tmpdir(), 'lusim-user-build-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of a headers tree whose relative symlinks (scripts, tools) still point where they did. */
function copyTree(from: string, to: string): void {
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  for (const name of readdirSync(to)) {
    const p = join(to, name);
    if (lstatSync(p).isSymbolicLink()) {
      const target = resolve(dirname(join(from, name)), readlinkSync(p));
      rmSync(p);
      symlinkSync(target, p);
    }
  }
}

describe('a user kernel by path in the real cycle', () => {
  it.skipIf(skip)(`Debian's 6.12 image as a build directory -> 6.1: the same blobs, load and restore as by series${why}`, async () => {
    const k = k612!;
    const headers = await fetchHeaders(k, cacheRoot());
    const tree = join(work, 'linux');
    copyTree(headers.buildDir, tree);
    mkdirSync(join(tree, 'arch/x86/boot'), { recursive: true });
    copyFileSync(k.vmlinuz, join(tree, 'arch/x86/boot/bzImage'));
    const mods = join(work, 'mods');
    mkdirSync(join(mods, 'lib/modules'), { recursive: true });
    symlinkSync(k.modulesDir, join(mods, 'lib/modules', k.release));

    const r = await runRealCycle({ endpoints: parseRealDevices('e1000e,nvme'), from: tree, to: '6.1', user: { modulesA: mods }, format: 'linux-blob', saver: 'kernel', fetch: false });
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    // The point release is whatever Debian's archive carries now (6.12.117, then 6.12.118 on 2026-12-02).
    expect(r.kernels!.from).toMatchObject({ release: k.release, profile: '6.12.y', build: { spec: tree, why: `${k.upstream} has the a2f1e22390ac backport (6.12.70+)`, warnings: [] } });
    expect(r.handover?.survived).toMatchObject({ intact: true });
    const blob = (id: string) => r.devices.find((d) => d.id === id)!.kernel!;
    expect(blob('nvme').save).toMatchObject({ ret: 0, real: { size: 94 }, differences: [] });
    expect(blob('e1000e').save).toMatchObject({ ret: 0, real: { size: 118 }, differences: [] });
    for (const d of r.devices) {
      expect(d.kernel!.load, d.id).toMatchObject({ ret: 0, model: { ret: 0 } });
      expect(d.kernel!.restoredVsPredicted, d.id).toEqual([]);
      expect(d.modelDifferences, d.id).toEqual([]);
    }
    console.log(`real-cycle user build ${tree} (${k.release}) -> 6.1: ${r.totalMs} ms (${r.phases.map((p) => `${p.name} ${p.ms}`).join(', ')})`);
  }, 300_000);
});

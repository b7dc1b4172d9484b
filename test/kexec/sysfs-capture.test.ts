/**
 * `lusim capture` (kexec/sysfs-capture.ts): on a sysfs tree made from fixtures (a pcie-root-port
 * with nvme below it, recorded reset_method "flr bus" from fixtures/observed/reset-methods.json),
 * and on this machine's own /sys (a real VM with its own PCI devices), round-tripped through the
 * snapshot JSON, inspect's model and reset-methods.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFunction } from '../../devices/device.js';
import { formatBdf } from '../../devices/dump/bdf.js';
import { parseDump } from '../../devices/dump/index.js';
import { formatSnapshotJson } from '../../devices/dump/json.js';
import { parseLspci } from '../../devices/dump/lspci.js';
import { formatRaw } from '../../devices/dump/raw.js';
import { captureSysfs } from '../../kexec/sysfs-capture.js';
import { runLusim } from '../cli/in-process.js';

function fakeSysfs(): string {
  const root = mkdtempSync(join(tmpdir(), 'lusim-sysfs-'));
  const devices = join(root, 'bus', 'pci', 'devices');
  mkdirSync(join(root, 'bus', 'pci', 'drivers', 'nvme'), { recursive: true });
  mkdirSync(join(root, 'bus', 'pci', 'drivers', 'pcieport'), { recursive: true });
  const add = (bdf: string, fixture: string, files: Record<string, string>, driver: string) => {
    const dir = join(devices, bdf);
    mkdirSync(dir, { recursive: true });
    // A sysfs config file is as long as the cfg_size Linux gave the function (4096 for PCIe).
    writeFileSync(join(dir, 'config'), formatRaw({ ...parseLspci(readFileSync(`fixtures/qemu/${fixture}.lspci`, 'utf8'))[0], bytes: padTo4096(fixture) }));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), `${text}\n`);
    symlinkSync(join('..', '..', 'drivers', driver), join(dir, 'driver'));
  };
  // No reset_method file for the port: what the model predicts; no real observation of the port is recorded.
  add('0000:00:01.0', 'pcie-root-port', { current_link_speed: '16.0 GT/s PCIe' }, 'pcieport');
  add('0000:01:00.0', 'nvme', { reset_method: 'flr bus', current_link_speed: '2.5 GT/s PCIe' }, 'nvme');
  return root;
}

function padTo4096(fixture: string): Uint8Array {
  const bytes = parseLspci(readFileSync(`fixtures/qemu/${fixture}.lspci`, 'utf8'))[0].bytes;
  const out = new Uint8Array(4096);
  out.set(bytes);
  return out;
}

describe('lusim capture on a sysfs tree made from fixtures', () => {
  const sysfs = fakeSysfs();
  it('reads config, reset_method, driver, link speed and cfg_size of every function', () => {
    const cap = captureSysfs({ sysfs, root: true, kernelRelease: '6.1.0-56-cloud-amd64' });
    expect(cap.partial).toEqual([]);
    expect(cap.devices.map((d) => formatBdf(d.bdf))).toEqual(['00:01.0', '01:00.0']);
    expect(cap.devices[1].capture).toEqual({ kernelRelease: '6.1.0-56-cloud-amd64', root: true, configSize: 4096, resetMethod: ['flr', 'bus'], driver: 'nvme', currentLinkSpeed: '2.5 GT/s PCIe' });
    expect(cap.devices[0].capture).toMatchObject({ resetMethod: [], driver: 'pcieport' });
  });
  it('round-trips through the snapshot JSON: same bytes, same facts', () => {
    const cap = captureSysfs({ sysfs, root: true, kernelRelease: '6.1.0-56-cloud-amd64' });
    const back = parseDump(new TextEncoder().encode(formatSnapshotJson(cap.devices)));
    expect(back.map((d) => d.capture)).toEqual(cap.devices.map((d) => d.capture));
    expect(back.map((d) => Array.from(d.bytes))).toEqual(cap.devices.map((d) => Array.from(d.bytes)));
  });
  it('without root: 64 bytes per function, stated as partial once per function', () => {
    const cap = captureSysfs({ sysfs, root: false, readConfig: (f) => new Uint8Array(readFileSync(f)).subarray(0, 64) });
    expect(cap.partial).toEqual(['0000:00:01.0', '0000:01:00.0']);
    const fn = buildFunction(cap.devices[1]);
    expect(fn.walk.findings.filter((f) => f.code === 'partial-capture')).toHaveLength(1);
  });
  it('reset-methods on the capture compares with the machine\'s own reset_method: flr bus for nvme below its port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-cap-'));
    const out = join(dir, 'snap.json');
    const c = await runLusim(['capture', '--sysfs', sysfs, '--out', out, '--kernel-release', '6.1.0-56-cloud-amd64']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toMatch(/captured 2 functions/);
    const r = await runLusim(['reset-methods', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { bdf: string; kernel: string; resetMethods: string[]; machine: { resetMethod: string[]; matches: boolean } }[];
    expect(res.map((x) => [x.bdf, x.kernel, x.resetMethods.join(' '), x.machine.matches])).toEqual([['00:01.0', '6.1', '', true], ['01:00.0', '6.1', 'flr bus', true]]);
    const text = await runLusim(['reset-methods', out, '--device', '01:00.0']);
    expect(text.stdout).toMatch(/machine's own: {6}flr bus {2}matches the prediction/);
  });
  it('reset-methods maps the captured release as a user kernel is mapped (sim/linux/profile-for-kernel.ts)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-cap-'));
    const kernelFor = async (release: string, version?: string) => {
      const out = join(dir, `${release}-${version === undefined ? 'no-version' : 'version'}.json`);
      expect((await runLusim(['capture', '--sysfs', sysfs, '--out', out, '--kernel-release', release, ...(version ? ['--kernel-version', version] : [])])).code).toBe(0);
      const r = await runLusim(['reset-methods', out, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { kernel: string }[])[0].kernel;
    };
    // 7.3 has a profile of its own (it was mapped to 7.1 before); 6.12.70+ carries the a2f1e22390ac
    // backport; 6.18 has none and gets the nearest, 6.19.
    expect(await kernelFor('7.3.2-custom')).toBe('7.3');
    expect(await kernelFor('6.12.117+deb12-cloud-amd64')).toBe('6.12.y');
    expect(await kernelFor('6.18.44-fc-v1300')).toBe('6.19');
    // Debian's 6.1.0-N names no upstream version; its uname -v does (bookworm's 6.1.158 has the
    // L1SS revert of 6.1.15: 6.1.y). Without the version the name is all there is.
    expect(await kernelFor('6.1.0-56-cloud-amd64', '#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-08)')).toBe('6.1.y');
    expect(await kernelFor('6.1.0-56-cloud-amd64')).toBe('6.1');
  });
  it('an --out that cannot be written: exit 2 before reading sysfs; a failed write hands the snapshot to stdout, exit 1', async () => {
    const r = await runLusim(['capture', '--sysfs', sysfs, '--out', '/nonexistent/snap.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lusim: --out \/nonexistent\/snap\.json: the directory \/nonexistent does not exist/);
    const full = await runLusim(['capture', '--sysfs', sysfs, '--out', '/dev/full']);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/could not write --out \/dev\/full \(the disk is full\); the snapshot follows on stdout/);
    expect(JSON.parse(full.stdout).devices).toHaveLength(2);
  });
  it('cycle on a capture points at --as-found (a running system\'s state), and is quiet with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-cap-'));
    const out = join(dir, 'snap.json');
    expect((await runLusim(['capture', '--sysfs', sysfs, '--out', out])).code).toBe(0);
    const plain = await runLusim(['cycle', out, '--device', '01:00.0', '--from', '6.12', '--to', '7.1']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toMatch(/is from lusim capture, a running system's state: --as-found takes it as the operational state/);
    const asFound = await runLusim(['cycle', out, '--device', '01:00.0', '--from', '6.12', '--to', '7.1', '--as-found']);
    expect(asFound.code).toBe(0);
    expect(asFound.stderr).not.toMatch(/--as-found/);
  });
  it('cycle on a capture: kernel A is the kernel it was taken on unless --from names one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-cap-'));
    const out = join(dir, 'snap.json');
    expect((await runLusim(['capture', '--sysfs', sysfs, '--out', out, '--kernel-release', '7.3.2-custom'])).code).toBe(0);
    const fromOf = async (...extra: string[]) => {
      const r = await runLusim(['cycle', out, '--device', '01:00.0', '--as-found', '--json', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { options: { from: string; to: string } }).options;
    };
    expect(await fromOf()).toMatchObject({ from: '7.3', to: '7.1' });
    expect(await fromOf('--from', '6.1', '--to', '6.12')).toMatchObject({ from: '6.1', to: '6.12' });
    // A dump that is no capture keeps the default.
    const plain = await runLusim(['cycle', 'nvme', '--json']);
    expect(JSON.parse(plain.stdout).options.from).toBe('6.12');
  });
  it('a listed function whose config cannot be read (a hot unplug mid-capture, a copied tree) is skipped and named; the rest are captured', async () => {
    const tree = fakeSysfs();
    mkdirSync(join(tree, 'bus', 'pci', 'devices', '0000:02:00.0'));
    const cap = captureSysfs({ sysfs: tree, root: true });
    expect(cap.devices.map((d) => formatBdf(d.bdf))).toEqual(['00:01.0', '01:00.0']);
    expect(cap.unreadable).toEqual([{ name: '0000:02:00.0', reason: 'config: no such file' }]);
    const r = await runLusim(['capture', '--sysfs', tree]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^lusim: skipped 0000:02:00\.0 \(config: no such file\): sysfs lists it but the config could not be read; capture again if a device was being removed$/m);
    expect(JSON.parse(r.stdout).devices).toHaveLength(2);
  });
  it('a config that reads 0 bytes or more than 4 KiB is skipped too: the snapshot stays one lusim reads', async () => {
    const tree = fakeSysfs();
    mkdirSync(join(tree, 'bus', 'pci', 'devices', '0000:03:00.0'));
    writeFileSync(join(tree, 'bus', 'pci', 'devices', '0000:03:00.0', 'config'), '');
    mkdirSync(join(tree, 'bus', 'pci', 'devices', '0000:04:00.0'));
    writeFileSync(join(tree, 'bus', 'pci', 'devices', '0000:04:00.0', 'config'), new Uint8Array(8192));
    const cap = captureSysfs({ sysfs: tree, root: true });
    expect(cap.unreadable).toEqual([{ name: '0000:03:00.0', reason: 'config: 0 bytes read' }, { name: '0000:04:00.0', reason: 'config: 8192 bytes, more than the 4096 a function has' }]);
    const out = join(mkdtempSync(join(tmpdir(), 'lusim-cap-')), 'snap.json');
    expect((await runLusim(['capture', '--sysfs', tree, '--out', out])).code).toBe(0);
    expect((await runLusim(['inspect', out, '--json'])).code).toBe(0);
  });
  it('when no listed function can be read, a one-line error names them', async () => {
    const tree = mkdtempSync(join(tmpdir(), 'lusim-sysfs-'));
    mkdirSync(join(tree, 'bus', 'pci', 'devices', '0000:00:01.0'), { recursive: true });
    const r = await runLusim(['capture', '--sysfs', tree]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`lusim: no PCI function under ${tree}/bus/pci/devices could be read (0000:00:01.0: config: no such file): give the sysfs mount of a Linux system with --sysfs (default /sys)`);
  });
  it('a bad --sysfs is a one-line error', async () => {
    const r = await runLusim(['capture', '--sysfs', '/nonexistent']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^lusim: \/nonexistent\/bus\/pci\/devices does not exist: give the sysfs mount/);
  });
});

describe.skipIf(!existsSync('/sys/bus/pci/devices'))('lusim capture on this machine\'s own /sys', () => {
  it('every function models with Linux\'s own cfg_size, and the prediction equals its reset_method', async () => {
    const cap = captureSysfs();
    expect(cap.devices.length).toBeGreaterThan(0);
    const back = parseDump(new TextEncoder().encode(formatSnapshotJson(cap.devices)));
    for (const d of back) {
      const fn = buildFunction(d);
      if (d.capture!.root) expect(fn.space.size, formatBdf(d.bdf)).toBe(d.capture!.configSize);
    }
    const dir = mkdtempSync(join(tmpdir(), 'lusim-cap-'));
    const out = join(dir, 'snap.json');
    expect((await runLusim(['capture', '--out', out])).code).toBe(0);
    const r = await runLusim(['reset-methods', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    for (const x of JSON.parse(r.stdout) as { bdf: string; resetMethods: string[]; machine: { resetMethod: string[]; matches: boolean } }[]) {
      expect(x.resetMethods, `${x.bdf}: machine says ${x.machine.resetMethod.join(' ')}`).toEqual(x.machine.resetMethod);
    }
  });
});

/**
 * The --qemu sampler (sim/fuzz/qemu-sample.ts): deterministic per seed, every sample a topology
 * kexec/topology/qemu-device.ts accepts, built only from the properties QEMU 7.2 lists for each device
 * (`qemu-system-x86_64 -device NAME,help`), reaching every one of them, and a command that runs it.
 */
import { describe, expect, it } from 'vitest';
import { parseTopology } from '../../../kexec/topology/qemu-device.js';
import { qemuSampleCommand, qemuSamples, realKernelsFor, simplerSamples } from '../../../sim/fuzz/qemu-sample.js';

/** Per device, the properties the sampler may set (each checked in QEMU 7.2.22's -device help). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  'pcie-root-port': ['id', 'disable-acs', 'power_controller_present', 'x-pcie-lnksta-dllla', 'x-speed', 'x-width', 'hotplug', 'x-pcie-extcap-init'],
  ioh3420: ['id', 'disable-acs', 'power_controller_present', 'x-pcie-lnksta-dllla', 'hotplug', 'x-pcie-extcap-init'],
  'x3130-upstream': ['id', 'bus', 'x-pcie-extcap-init'],
  'xio3130-downstream': ['id', 'bus', 'hotplug', 'x-pcie-extcap-init'],
  'virtio-net-pci': ['bus', 'addr', 'disable-legacy', 'aer', 'ats', 'vectors', 'x-pcie-pm-init', 'x-pcie-flr-init', 'x-pcie-deverr-init', 'x-pcie-lnkctl-init', 'multifunction', 'x-pcie-extcap-init'],
  nvme: ['bus', 'addr', 'msix_qsize', 'msix-exclusive-bar', 'multifunction', 'x-pcie-extcap-init', 'sriov_max_vfs', 'sriov_vq_flexible', 'sriov_vi_flexible', 'guest-vfs'],
  e1000e: ['bus', 'addr', 'x-pcie-lnksta-dllla', 'multifunction', 'x-pcie-extcap-init'],
  'qemu-xhci': ['bus', 'addr', 'x-pcie-lnksta-dllla', 'multifunction', 'x-pcie-extcap-init'],
};

const keysOf = (d: string) => d.split(',').slice(1).map((p) => p.split('=')[0]);

describe('qemu samples', () => {
  const kernels = realKernelsFor();
  const many = qemuSamples(1, 300, kernels);

  it('the same seed gives the same samples; another seed others', () => {
    expect(qemuSamples(1, 20, kernels)).toEqual(many.slice(0, 20));
    expect(qemuSamples(2, 20, kernels)).not.toEqual(many.slice(0, 20));
    expect(many.map((s) => s.index)).toEqual(many.map((_, i) => i));
  });

  it('every sample is a valid topology of allowed properties: 1-3 branches (a Root Port, maybe a switch, one endpoint device of one or two functions), maybe an endpoint on the root bus', () => {
    const ENDPOINTS = ['virtio-net-pci', 'nvme', 'e1000e', 'qemu-xhci'];
    for (const s of many) {
      const topo = parseTopology(s.devices);
      for (const d of s.devices) for (const k of keysOf(d)) expect(ALLOWED[d.split(',')[0]], d).toContain(k);
      const ports = topo.devices.filter((d) => ['pcie-root-port', 'ioh3420'].includes(d.driver));
      expect(ports.length).toBeGreaterThanOrEqual(1);
      expect(ports.length).toBeLessThanOrEqual(3);
      expect(topo.devices[0]).toBe(ports[0]);
      // Each Root Port rpK has one endpoint device below it, on rpK itself or on its switch's dnK:
      // one function, or (in one branch at most) function 0 with multifunction=on and function 1.
      let twoFunctions = 0;
      ports.forEach((p, k) => {
        expect(p.id).toBe(`rp${k + 1}`);
        const below = topo.devices.filter((d) => ENDPOINTS.includes(d.driver) && (d.bus === p.id || d.bus === `dn${k + 1}`));
        if (below.length === 2) {
          twoFunctions++;
          expect([below[0].addr, below[1].addr, below[0].props?.multifunction]).toEqual(['0.0', '0.1', 'on']);
        } else {
          expect(below, s.devices.join(' ')).toHaveLength(1);
          expect(below[0].addr).toBeUndefined();
        }
      });
      expect(twoFunctions).toBeLessThanOrEqual(1);
      const rooted = topo.devices.filter((d) => ENDPOINTS.includes(d.driver) && d.bus === 'pcie.0');
      expect(rooted.length).toBeLessThanOrEqual(1);
      expect(topo.devices.filter((d) => ENDPOINTS.includes(d.driver))).toHaveLength(ports.length + rooted.length + twoFunctions);
      expect(kernels).toContain(s.from);
      expect(kernels).toContain(s.to);
    }
    const counts = new Set(many.map((s) => s.devices.filter((d) => /^(pcie-root-port|ioh3420),/.test(d)).length));
    expect(counts).toEqual(new Set([1, 2, 3]));
    expect(many.some((s) => s.devices.some((d) => d.includes('bus=pcie.0')))).toBe(true);
    expect(many.some((s) => s.devices.some((d) => d.includes('addr=0.1')))).toBe(true);
  });

  it('reaches every device, every property and every kernel', () => {
    const seen = new Set(many.flatMap((s) => s.devices.flatMap((d) => keysOf(d).map((k) => `${d.split(',')[0]}:${k}`))));
    for (const [driver, keys] of Object.entries(ALLOWED)) for (const k of keys) expect(seen, `${driver}:${k}`).toContain(`${driver}:${k}`);
    expect(new Set(many.map((s) => s.from))).toEqual(new Set(kernels));
  });

  it('an SR-IOV nvme has what QEMU checks (nvme_check_params): 2 flexible queues and 1 interrupt per VF, an MSI-X table larger than the interrupts, its extended capabilities', () => {
    const nvmes = many.flatMap((s) => s.devices).filter((d) => d.includes('sriov_max_vfs'));
    expect(nvmes.length).toBeGreaterThan(10);
    for (const d of nvmes) {
      const vfs = Number(d.match(/sriov_max_vfs=(\d+)/)![1]);
      expect(vfs, d).toBeGreaterThanOrEqual(1);
      expect(Number(d.match(/sriov_vq_flexible=(\d+)/)![1]), d).toBe(2 * vfs);
      expect(Number(d.match(/sriov_vi_flexible=(\d+)/)![1]), d).toBe(vfs);
      expect(Number(d.match(/msix_qsize=(\d+)/)?.[1] ?? 65), d).toBeGreaterThan(vfs);
      expect(d).not.toContain('x-pcie-extcap-init');
    }
  });

  it('guest-vfs (kernel A enables VFs) comes only on an SR-IOV nvme, at most its sriov_max_vfs', () => {
    const pfs = many.flatMap((s) => s.devices).filter((d) => d.includes('guest-vfs='));
    expect(pfs.length).toBeGreaterThan(10);
    expect(pfs.length).toBeLessThan(many.flatMap((s) => s.devices).filter((d) => d.includes('sriov_max_vfs')).length);
    for (const d of pfs) {
      const vfs = Number(d.match(/guest-vfs=(\d+)/)![1]);
      expect(vfs, d).toBeGreaterThanOrEqual(1);
      expect(vfs, d).toBeLessThanOrEqual(Number(d.match(/sriov_max_vfs=(\d+)/)![1]));
    }
    expect(new Set(pfs.map((d) => d.match(/guest-vfs=(\d+)/)![1]))).toEqual(new Set(['1', '2', '3']));
    // Never on a PF that shares its slot (test/e2e/sriov-nvme.test.ts: beside another function
    // QEMU's nvme cannot have VFs enabled; 7.x oopses when its first VF collides with function 1).
    for (const s of many) for (const d of s.devices.filter((x) => x.includes('guest-vfs='))) expect(d).not.toContain('addr=');
    expect(many.some((s) => s.devices.some((d) => d.includes('addr=') && d.includes('sriov_max_vfs')))).toBe(true);
  });

  it('--kernels picks the real kernels by their model profile', () => {
    expect(realKernelsFor(['7.2', '6.1.y', '6.19'])).toEqual(['6.1', '7.2']);
    expect(realKernelsFor(['6.19', 'lu-pci'])).toEqual([]);
    expect(qemuSamples(3, 10, ['7.3']).every((s) => s.from === '7.3' && s.to === '7.3')).toBe(true);
  });

  it('the command runs exactly the sample', () => {
    const s = many[2];
    const cmd = qemuSampleCommand(s);
    expect([...cmd.matchAll(/--qemu-device '([^']+)'/g)].map((m) => m[1])).toEqual(s.devices);
    expect(cmd).toMatch(new RegExp(`^lusim cycle --qemu .* --from ${s.from} --to ${s.to} --format linux-blob --no-fetch --json$`));
  });

  it('a shrink step is one branch fewer, one switch fewer, then one property fewer; wiring, virtio\'s PCIe mode and the kernels stay', () => {
    const s = { index: 9, from: '7.3', to: '6.1', devices: ['ioh3420,id=rp1,disable-acs=on', 'x3130-upstream,id=up1,bus=rp1', 'xio3130-downstream,id=dn1,bus=up1', 'virtio-net-pci,bus=dn1,disable-legacy=on,vectors=1,multifunction=on', 'nvme,bus=pcie.0'] };
    const branch1 = s.devices.slice(0, 4);
    expect(simplerSamples(s).map((c) => c.devices)).toEqual([
      ['nvme,bus=pcie.0'],
      branch1,
      ['ioh3420,id=rp1,disable-acs=on', 'virtio-net-pci,bus=rp1,disable-legacy=on,vectors=1,multifunction=on', 'nvme,bus=pcie.0'],
      ['ioh3420,id=rp1', ...s.devices.slice(1)],
      [...s.devices.slice(0, 3), 'virtio-net-pci,bus=dn1,disable-legacy=on,multifunction=on', 'nvme,bus=pcie.0'],
      [...s.devices.slice(0, 3), 'virtio-net-pci,bus=dn1,disable-legacy=on,vectors=1', 'nvme,bus=pcie.0'],
    ]);
    expect(simplerSamples(s).every((c) => c.index === 9 && c.from === '7.3' && c.to === '6.1')).toBe(true);
    expect(simplerSamples({ ...s, devices: ['pcie-root-port,id=rp1', 'nvme,bus=rp1'] })).toEqual([]);
    // Function 1 goes on its own; function 0 keeps multifunction=on while function 1 is there.
    const mf = { ...s, devices: ['pcie-root-port,id=rp1', 'nvme,bus=rp1,addr=0.0,multifunction=on', 'e1000e,bus=rp1,addr=0.1,x-pcie-lnksta-dllla=off'] };
    expect(simplerSamples(mf).map((c) => c.devices)).toEqual([
      mf.devices.slice(0, 2),
      [...mf.devices.slice(0, 2), 'e1000e,bus=rp1,addr=0.1'],
    ]);
    // Branch 2 goes with its switch; branch 1's endpoint stays on its own port.
    const two = { ...s, devices: ['pcie-root-port,id=rp1', 'nvme,bus=rp1', 'pcie-root-port,id=rp2', 'x3130-upstream,id=up2,bus=rp2', 'xio3130-downstream,id=dn2,bus=up2', 'e1000e,bus=dn2'] };
    expect(simplerSamples(two).map((c) => c.devices)).toEqual([
      two.devices.slice(2),
      two.devices.slice(0, 2),
      ['pcie-root-port,id=rp1', 'nvme,bus=rp1', 'pcie-root-port,id=rp2', 'e1000e,bus=rp2'],
    ]);
  });

  it('a shrink drops SR-IOV\'s three properties together (QEMU refuses one without the others)', () => {
    const s = { index: 0, from: '6.1', to: '6.1', devices: ['pcie-root-port,id=rp1', 'nvme,bus=rp1,msix_qsize=4,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2'] };
    expect(simplerSamples(s).map((c) => c.devices[1])).toEqual(['nvme,bus=rp1,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2', 'nvme,bus=rp1,msix_qsize=4']);
    // guest-vfs goes with them (no sriov_numvfs without SR-IOV), or on its own.
    const vfs = { ...s, devices: [s.devices[0], `${s.devices[1]},guest-vfs=2`] };
    expect(simplerSamples(vfs).map((c) => c.devices[1])).toEqual([
      'nvme,bus=rp1,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,guest-vfs=2', 'nvme,bus=rp1,msix_qsize=4', s.devices[1],
    ]);
  });

  it('every shrink step of every sample is a topology QEMU accepts', () => {
    for (const s of many.slice(0, 60)) for (const c of simplerSamples(s)) expect(() => parseTopology(c.devices), c.devices.join(' ')).not.toThrow();
  });
});

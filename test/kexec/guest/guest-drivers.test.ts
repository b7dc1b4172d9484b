import { describe, expect, it } from 'vitest';
import { aliasMatches, pciModalias, planGuestDrivers, probesAtBoot, virtioModalias } from '../../../kexec/guest/guest-drivers.js';
import { findKernel } from '../../../kexec/kernels/kernels.js';

// Modalias formats: drivers/pci/pci-sysfs.c modalias_show, drivers/virtio/virtio.c modalias_show;
// alias patterns as scripts/mod/file2alias.c writes them (do_pci_entry, do_virtio_entry).
const vnet = { id: 'v', vendor: 0x1af4, device: 0x1041, subVendor: 0x1af4, subDevice: 0x1100, classCode: 0x020000 };

describe('guest driver matching', () => {
  it('builds the PCI modalias as sysfs shows it', () => {
    expect(pciModalias(vnet)).toBe('pci:v00001AF4d00001041sv00001AF4sd00001100bc02sc00i00');
  });

  it('derives the virtio device id as virtio_pci_modern_probe / virtio_pci_legacy_probe do', () => {
    expect(virtioModalias(vnet)).toBe('virtio:d00000001v00001AF4');
    expect(virtioModalias({ ...vnet, device: 0x1001, subDevice: 0x0002 })).toBe('virtio:d00000002v00001AF4');
    expect(virtioModalias({ ...vnet, vendor: 0x8086 })).toBeNull();
  });

  it('a driver probes at boot when modules.builtin names it; pcieport always (CONFIG_PCIEPORTBUS is a bool, never listed)', () => {
    const builtin = new Set(['nvme', 'virtio_pci']);
    expect(['nvme', 'virtio-pci', 'pcieport', 'e1000e', 'xhci_hcd'].map((d) => probesAtBoot(d, builtin))).toEqual([true, true, true, false, false]);
    expect(probesAtBoot('pcieport', new Set())).toBe(true);
  });

  it('matches aliases with fnmatch semantics', () => {
    expect(aliasMatches('pci:v00001AF4d*sv*sd*bc*sc*i*', pciModalias(vnet))).toBe(true);
    expect(aliasMatches('virtio:d00000001v*', 'virtio:d00000001v00001AF4')).toBe(true);
    expect(aliasMatches('virtio:d00000002v*', 'virtio:d00000001v00001AF4')).toBe(false);
    expect(aliasMatches('pci:v000015ADd000007B0sv*sd*bc*sc*i*', pciModalias(vnet))).toBe(false);
    expect(aliasMatches('pci:v*d*sv*sd*bc0[12]sc*i*', pciModalias(vnet))).toBe(true);
    expect(aliasMatches('pci:v*d*sv*sd*bc0[!2]sc*i*', pciModalias(vnet))).toBe(false);
  });
});

describe('module plans from the cached Debian kernels (skipped when a kernel is not cached)', () => {
  const ids = {
    vmx: { id: 'vmx', vendor: 0x15ad, device: 0x07b0, subVendor: 0x15ad, subDevice: 0x07b0, classCode: 0x020000 },
    sas: { id: 'sas', vendor: 0x1000, device: 0x0079, subVendor: 0x1000, subDevice: 0x9261, classCode: 0x010400 },
    vnet: { ...vnet, id: 'vnet' },
    vblk: { id: 'vblk', vendor: 0x1af4, device: 0x1042, subVendor: 0x1af4, subDevice: 0x1100, classCode: 0x010000 },
  };
  const choices = new Map([['vblk', { kind: 'module' as const, name: 'virtio_pci' }]]);
  for (const [series, expected] of [
    // 6.1: CONFIG_VIRTIO_PCI=m, so auto loads the transport too; 6.12: it is built in.
    ['6.1', { vmx: ['vmxnet3'], sas: [], vnet: ['virtio_net', 'virtio_pci'], vblk: ['virtio_pci'] }],
    ['6.12', { vmx: ['vmxnet3'], sas: [], vnet: ['virtio_net'], vblk: [] }],
  ] as const) {
    const k = findKernel(series);
    it.skipIf(k === undefined)(`${series}: vmxnet3 a module, megasas absent, virtio class driver by modalias`, () => {
      const plan = planGuestDrivers(k!, Object.values(ids), choices);
      const got = Object.fromEntries(plan.devices.map((d) => [d.id, [...d.modules].sort()]));
      expect(got).toEqual(Object.fromEntries(Object.entries(expected).map(([id, m]) => [id, [...m].sort()])));
    });
  }
});

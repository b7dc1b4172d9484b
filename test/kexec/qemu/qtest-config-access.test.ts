import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QemuInstance, behindRootPorts, launchQemu } from '../../../kexec/qemu/launcher.js';
import { type PciView, preparePci, probeBars } from '../../../kexec/qemu/pci-topology.js';
import { Q35_ECAM_BASE, QtestBarAccess, QtestConfigAccess, cf8Address, ecamAddress, ecamBase } from '../../../kexec/qemu/qtest-config-access.js';

describe('address encodings', () => {
  it('follows CF8 (pci_host.c) and ECAM (pcie_host.c) layouts', () => {
    expect(cf8Address({ bus: 1, dev: 2, fn: 3 }, 0x47)).toBe(0x80011344);
    expect(ecamAddress(Q35_ECAM_BASE, { bus: 1, dev: 2, fn: 3 }, 0x104)).toBe(0xb0113104);
  });
});

describe('config access over qtest, hermetic q35', () => {
  let q: QemuInstance;
  let pci: PciView;
  beforeAll(async () => {
    q = await launchQemu({
      devices: [
        ...behindRootPorts([{ driver: 'e1000e', id: 'nic0' }, { driver: 'nvme', id: 'nvme0', props: { serial: 'lusim1' } }]),
        { driver: 'pcie-root-port', id: 'rp-sw' },
        { driver: 'x3130-upstream', id: 'up0', bus: 'rp-sw' },
        { driver: 'xio3130-downstream', id: 'dn0', bus: 'up0' },
        { driver: 'e1000e', id: 'nic1', bus: 'dn0' },
      ],
    });
    pci = await preparePci(q, { assign: true });
  });
  afterAll(async () => {
    await q?.close();
  });

  it('finds ECAM disabled before bring-up and at the q35 base after', async () => {
    expect(pci.ecamBase).toBe(Q35_ECAM_BASE);
    expect(await ecamBase(q.qtest)).toBe(Q35_ECAM_BASE);
  });

  it('numbers the bridges depth-first, so devices behind a switch are reachable', () => {
    const bdf = (id: string) => pci.functions.get(id)?.bdf;
    expect(bdf('nic0')).toEqual({ bus: 1, dev: 0, fn: 0 });
    expect(bdf('nvme0')).toEqual({ bus: 2, dev: 0, fn: 0 });
    expect(bdf('up0')).toEqual({ bus: 3, dev: 0, fn: 0 });
    expect(bdf('dn0')).toEqual({ bus: 4, dev: 0, fn: 0 });
    expect(bdf('nic1')).toEqual({ bus: 5, dev: 0, fn: 0 });
    expect(pci.functions.get('nic1')?.parent?.qdevId).toBe('dn0');
  });

  it('reads e1000e 8086:10d3 over both ECAM and CF8', async () => {
    const ecam = pci.config('nic0');
    const cf8 = QtestConfigAccess.cf8(q.qtest, ecam.bdf);
    expect(ecam.size).toBe(4096);
    expect(cf8.size).toBe(256);
    for (const a of [ecam, cf8]) {
      expect(await a.readw(0)).toBe(0x8086);
      expect(await a.readw(2)).toBe(0x10d3);
      expect(await a.readl(0)).toBe(0x10d38086);
      expect(await a.readb(1)).toBe(0x80);
    }
    const sw = pci.config('nic1');
    expect(await sw.readl(0)).toBe(0x10d38086);
  });

  it('reaches extended config space only through ECAM (AER header at 0x100, qemu.md table)', async () => {
    const ecam = pci.config('nic0');
    expect((await ecam.readl(0x100)) & 0xffff).toBe(0x0001);
    const cf8 = QtestConfigAccess.cf8(q.qtest, ecam.bdf);
    expect(await cf8.readl(0x100)).toBe(0xffffffff);
  });

  it('writes through both paths and agrees on the result (INTERRUPT_LINE is RW, pci_init_wmask)', async () => {
    const ecam = pci.config('nvme0');
    const cf8 = QtestConfigAccess.cf8(q.qtest, ecam.bdf);
    await cf8.writeb(0x3c, 0x5a);
    expect(await ecam.readb(0x3c)).toBe(0x5a);
    await ecam.writeb(0x3c, 0xa5);
    expect(await cf8.readb(0x3c)).toBe(0xa5);
  });

  it('snapshots 4 KiB in one b64read, equal to dword-by-dword reads', async () => {
    const a = pci.config('nvme0');
    const snap = await a.snapshot();
    expect(snap.length).toBe(4096);
    const dwords = await Promise.all(Array.from({ length: 1024 }, (_, i) => a.readl(i * 4)));
    const view = new DataView(snap.buffer, snap.byteOffset, snap.byteLength);
    expect(dwords.every((d, i) => d === view.getUint32(i * 4, true))).toBe(true);
    const cf8snap = await QtestConfigAccess.cf8(q.qtest, a.bdf).snapshot();
    expect(cf8snap).toEqual(snap.slice(0, 256));
  });

  it('answers out-of-range and misaligned accesses with all-ones and drops such writes', async () => {
    const a = pci.config('nic0');
    expect(await a.readl(4096)).toBe(0xffffffff);
    expect(await a.readw(0x101)).toBe(0xffff);
    await a.writel(4096, 0);
    expect(await QtestConfigAccess.cf8(q.qtest, a.bdf).readb(256)).toBe(0xff);
  });

  it('assigns BARs and reads the e1000e MSI-X table from BAR3 (all vectors masked after msix_reset)', async () => {
    const cfg = pci.config('nic0');
    const bars = new QtestBarAccess(q.qtest, cfg);
    // e1000e: MSI-X table at BAR3+0, PBA at BAR3+0x2000, 5 vectors (qemu.md table).
    const table = await bars.readRange(3, 0, 5 * 16);
    const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
    for (let v = 0; v < 5; v++) expect(view.getUint32(v * 16 + 12, true)).toBe(1);
    expect(await bars.readl(3, 0x2000)).toBe(0);
    await bars.writel(3, 8, 0x4321);
    expect(await bars.readl(3, 8)).toBe(0x4321);
  });

  it('sizes BARs by writing all-ones and restores them', async () => {
    const cfg = pci.config('nvme0');
    const before = await cfg.readl(0x10);
    const sizes = await probeBars(cfg);
    expect(sizes.find((b) => b.index === 0)).toMatchObject({ size: 0x4000, is64: true, io: false });
    expect(await cfg.readl(0x10)).toBe(before);
  });
});

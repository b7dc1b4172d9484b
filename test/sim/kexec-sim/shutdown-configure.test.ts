/**
 * driverConfigure (firmware + kernel A enumeration + driver probe) and kernelShutdown
 * (pci-driver.c pci_device_shutdown and each driver's ->shutdown) on the synthetic endpoint.
 */
import { describe, expect, it } from 'vitest';
import { driverConfigure, driverProbe, kernelShutdown, removeAboveWalk, removeWalksBelow } from '../../../sim/kexec-sim/index.js';
import { qemuFixture, SYN, steps, syntheticEndpoint } from './helpers.js';
import { PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, PCI_ERR_UNCOR_SEVER, PCI_EXP_DEVCTL, PCI_MSI_FLAGS, PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE } from '../../../devices/pci-regs.js';

const DEVCTL = SYN.PCIE + 0x08;

describe('driverConfigure', () => {
  it('assigns BARs when sizes are known, programs MSI (no MSI-X), and leaves COMMAND IO|MEM|MASTER|SERR|INTX_DISABLE', async () => {
    const m = await syntheticEndpoint((b) => { b[0x14] = 0x01; }); // BAR1 is I/O
    const r = await driverConfigure(m.fa, { kernel: '6.12', barSizes: [0x20000, 0x20] });
    const c = m.fa.config;
    expect(await c.readl(0x10)).toBe(0xfe000000);
    expect(await c.readl(0x14)).toBe(0xc001);
    expect(await c.readw(PCI_COMMAND)).toBe(0x0507);
    expect(r.irq).toBe('msi');
    expect(r.vectors).toEqual([{ index: 0, addressLo: 0xfee00000, addressHi: 0, data: 0x22 }]);
    expect((await c.readw(SYN.MSI + PCI_MSI_FLAGS)) & 1).toBe(1);
    expect(await c.readl(SYN.MSI + 4)).toBe(0xfee00000);
    expect(await c.readw(SYN.MSI + 0x0c)).toBe(0x22);
    expect(await c.readl(SYN.MSI + 0x10)).toBe(0); // vector unmasked (pci_msi_unmask)
  });

  it('firmware values Linux keeps: LTR latencies, ASPM L1, AER severities; kernel A enables error reporting and LTR', async () => {
    const m = await syntheticEndpoint();
    await driverConfigure(m.fa, { kernel: '6.1' });
    const c = m.fa.config;
    expect(await c.readl(SYN.LTR + 4)).toBe(0x10031003);
    expect((await c.readw(SYN.PCIE + 0x10)) & 0x3).toBe(0x2);
    expect(await c.readl(SYN.AER + PCI_ERR_UNCOR_SEVER)).toBe(0x00462030);
    expect((await c.readw(DEVCTL)) & 0x010f).toBe(0x010f); // error reporting + Extended Tags
    expect((await c.readw(SYN.PCIE + 0x28)) & 0x0400).toBe(0x0400);
  });

  // Found by `lusim fuzz --seed 55 --qemu 2` (sample 2: virtio-net-pci,vectors=1, 7.2 -> 6.1): the
  // real kernels kept the device on INTx (COMMAND 0x107, MSI-X off) where the model had enabled
  // MSI-X with its one vector. virtio_pci_common.c vp_find_vqs asks pci_alloc_irq_vectors_affinity
  // for exactly nvqs + 1, then exactly 2 vectors, then falls back to vp_find_vqs_intx.
  it('virtio-pci takes MSI-X only with 2 or more table entries (vp_find_vqs), INTx with 1; another driver takes the one vector', async () => {
    const withEntries = (n: number) => qemuFixture('virtio-net', (b) => {
      let pos = b[0x34];
      while (pos && b[pos] !== 0x11) pos = b[pos + 1];
      b[pos + PCI_MSIX_FLAGS] = n - 1; // QSIZE (read-only: set in the dump)
    });
    const one = await withEntries(1);
    const r1 = await driverProbe(one.fa, { kernel: '6.1', driver: 'virtio' });
    expect([r1.irq, r1.vectors.length]).toEqual(['intx', 0]);
    expect((await one.fa.config.readw(one.msixCap + PCI_MSIX_FLAGS)) & PCI_MSIX_FLAGS_ENABLE).toBe(0);
    expect((await one.fa.config.readw(PCI_COMMAND)) & PCI_COMMAND_INTX_DISABLE).toBe(0);
    expect(r1.log.notes.map((n) => n.step)).toContain('vp_find_vqs');
    const two = await withEntries(2);
    const r2 = await driverProbe(two.fa, { kernel: '6.1', driver: 'virtio' });
    expect([r2.irq, r2.vectors.length]).toEqual(['msix', 2]);
    const other = await driverProbe((await withEntries(1)).fa, { kernel: '6.1' });
    expect([other.irq, other.vectors.length]).toEqual(['msix', 1]);
  });
});

describe('kernelShutdown (pci-driver.c pci_device_shutdown)', () => {
  it('nvme on 6.1: nvme_pci_disable also clears DEVCTL error reporting (pci_disable_pcie_error_reporting); not on 6.12', async () => {
    for (const [from, cleared] of [['6.1', true], ['6.12', false]] as const) {
      const m = await syntheticEndpoint();
      await driverConfigure(m.fa, { kernel: from });
      const log = await kernelShutdown(m.fa, { driver: 'nvme', preserved: false, from });
      expect(steps(log).includes('pci_disable_pcie_error_reporting'), from).toBe(cleared);
      expect((await m.fa.config.readw(DEVCTL)) & 0xf, from).toBe(cleared ? 0 : 0xf);
      expect(steps(log)).toEqual(expect.arrayContaining(['pci_msi_set_enable', 'pci_intx_for_msi', 'pci_disable_device']));
      expect(await m.fa.config.readw(PCI_COMMAND)).toBe(0x0103);
    }
  });

  it('e1000e with MSI: free_irq masks the vector and zeroes its message, pci_msi_shutdown disables and unmasks, __e1000_shutdown clears MASTER, so pci_device_shutdown has nothing left to clear', async () => {
    // The order of a requested vector in QEMU's trace of an ioh3420's pcieport shutdown and unbind
    // (2026-12-07, 6.1 to 7.3): mask, Message Control, address and data, then MSI off, INTx on,
    // unmask; e1000e requests its vector the same way.
    const m = await syntheticEndpoint();
    await driverConfigure(m.fa, { kernel: '7.1' });
    const log = await kernelShutdown(m.fa, { driver: 'e1000e', preserved: false, from: '7.1' });
    expect(steps(log)).toEqual(['pci_msi_mask', 'msi_domain_deactivate', 'msi_domain_deactivate', 'msi_domain_deactivate', 'msi_domain_deactivate', 'pci_msi_set_enable', 'pci_intx_for_msi', 'pci_msi_unmask', 'pci_clear_master']);
    expect(await m.fa.config.readl(SYN.MSI + 4)).toBe(0);
    expect((await m.fa.config.readw(SYN.MSI + PCI_MSI_FLAGS)) & 1).toBe(0);
  });

  it('a function capable of 2 MSI vectors with 1 in use: the other stays masked after the probe, and pci_msi_shutdown unmasks both (msi_multi_mask is Multiple Message Capable)', async () => {
    // Regression: found by `lusim fuzz --qemu` on QEMU's ioh3420 (real Mask 0 after pcieport's unbind, model 0x2).
    const m = await syntheticEndpoint((b) => { b[SYN.MSI + 2] |= 0x02; }); // QMASK = 1: 2 vectors
    await driverConfigure(m.fa, { kernel: '7.1' });
    expect(await m.fa.config.readl(SYN.MSI + 0x10)).toBe(0x2);
    await kernelShutdown(m.fa, { driver: 'e1000e', preserved: false, from: '7.1' });
    expect(await m.fa.config.readl(SYN.MSI + 0x10)).toBe(0);
  });

  it('no driver: only pci_clear_master; INTX_DISABLE and MSI stay for kernel B to clean up', async () => {
    const m = await syntheticEndpoint();
    await driverConfigure(m.fa, { kernel: '6.12' });
    const log = await kernelShutdown(m.fa, { driver: 'none', preserved: false, from: '6.12' });
    expect(steps(log)).toEqual(['pci_clear_master']);
    expect(await m.fa.config.readw(PCI_COMMAND)).toBe(0x0503);
  });

  it('virtio: no config-space write from the driver; v6.19+ note virtio_dev_shutdown', async () => {
    for (const [from, bus] of [['6.12', false], ['6.19', true]] as const) {
      const m = await syntheticEndpoint();
      const log = await kernelShutdown(m.fa, { driver: 'virtio', preserved: false, from });
      expect(log.notes.find((n) => n.step === 'virtio')?.why.includes('virtio_dev_shutdown'), from).toBe(bus);
    }
  });

  it('a preserved device keeps MASTER even with no driver', async () => {
    const m = await syntheticEndpoint();
    await driverConfigure(m.fa, { kernel: '6.12' });
    await kernelShutdown(m.fa, { driver: 'none', preserved: true, from: '6.12' });
    expect(await m.fa.config.readw(PCI_COMMAND)).toBe(0x0507);
  });
});

// Found by `lusim fuzz --seed 7 --qemu 12 --jobs 2` (samples 2 and 10: a Root Port, an x3130
// switch and an endpoint, kernel B 6.1): after kernel B's drivers were unbound the switch's ports
// read DEVCTL 0 where the model kept 0xf. v6.1 aer_disable_rootport runs
// set_downstream_devices_error_reporting(false), which pci_walk_bus'es the Root Port's subordinate
// bus (pcie/aer.c); v6.12 has no walk.
describe('unbinding a Root Port\'s pcieport on v6.1 walks the bus below it (aer_remove)', () => {
  it('a Root Port with the AER service walks on 6.1, not on 6.12; a port below loses its error-reporting enables, an endpoint keeps them', async () => {
    const rp = await qemuFixture('pcie-root-port');
    expect(await removeWalksBelow(rp.fa, '6.1')).toBe(true);
    expect(await removeWalksBelow(rp.fa, '6.12')).toBe(false);
    const up = await qemuFixture('x3130-upstream');
    expect(await removeWalksBelow(up.fa, '6.1')).toBe(false);
    await up.fa.config.writew(up.pcieCap + PCI_EXP_DEVCTL, 0x000f);
    expect((await up.fa.config.readw(up.pcieCap + PCI_EXP_DEVCTL)) & 0xf).toBe(0xf);
    const log = await removeAboveWalk(up.fa);
    expect((await up.fa.config.readw(up.pcieCap + PCI_EXP_DEVCTL)) & 0xf).toBe(0);
    expect(steps(log)).toEqual(['set_device_error_reporting']);
    const ep = await qemuFixture('virtio-net-aer');
    await ep.fa.config.writew(ep.pcieCap + PCI_EXP_DEVCTL, 0x000f);
    expect(steps(await removeAboveWalk(ep.fa))).toEqual([]);
    expect((await ep.fa.config.readw(ep.pcieCap + PCI_EXP_DEVCTL)) & 0xf).toBe(0xf);
  });
});

describe('pci_enable_device (do_pci_enable_device)', () => {
  // QEMU's trace of a 7.2 boot, 2026-12-07: a virtio-net function that kernel A 6.12 left with
  // INTx disabled (its MSI-X torn down by kernel B's pci_msix_init) gets COMMAND 0x103 from
  // virtio-pci's pci_enable_device, then 0x107 from pci_set_master.
  it('a function with an interrupt pin gets INTx back on before its driver sets vectors up; one without a pin is left alone', async () => {
    const withPin = await syntheticEndpoint((b) => { b[0x04] = 0x02; b[0x05] = 0x04; });
    const log = (await driverProbe(withPin.fa, { kernel: '7.2', driver: 'other', irq: 'intx' })).log;
    expect(log.writes.filter((w) => w.offset === 0x04).map((w) => `${w.fn}=${w.value.toString(16)}`)).toEqual(['do_pci_enable_device=2', 'pci_set_master=6']);
    const noPin = await syntheticEndpoint((b) => { b[0x04] = 0x02; b[0x05] = 0x04; b[0x3d] = 0; });
    const log2 = (await driverProbe(noPin.fa, { kernel: '7.2', driver: 'other', irq: 'intx' })).log;
    expect(log2.writes.filter((w) => w.offset === 0x04).map((w) => `${w.fn}=${w.value.toString(16)}`)).toEqual(['pci_set_master=406']);
  });
});

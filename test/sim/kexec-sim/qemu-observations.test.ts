/**
 * Reproduces the QEMU 7.2 measurement of qemu.md section 5.2 (Debian 6.1.0-56 guest, kexec into
 * the same kernel, config read from the host before and after): drivers bound COMMAND 0x0507;
 * after kexec, before the stage-2 drivers load, 0x0103 for e1000e, nvme and xhci (bus master and
 * INTX_DISABLE cleared) and 0x0503 for virtio, MSI-X enable cleared on all four.
 */
import { describe, expect, it } from 'vitest';
import { driverConfigure, simulateKexec, type ShutdownDriver } from '../../../sim/kexec-sim/index.js';
import { qemuFixture, steps } from './helpers.js';
import { PCI_COMMAND, PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE } from '../../../devices/pci-regs.js';

const CASES: readonly { fixture: string; driver: ShutdownDriver; after: number }[] = [
  { fixture: 'e1000e', driver: 'e1000e', after: 0x0103 },
  { fixture: 'nvme', driver: 'nvme', after: 0x0103 },
  { fixture: 'qemu-xhci', driver: 'xhci', after: 0x0103 },
  { fixture: 'virtio-net', driver: 'virtio', after: 0x0503 },
];

describe('qemu.md 5.2: 6.1 -> 6.1 kexec on QEMU 7.2', () => {
  for (const c of CASES) {
    it(`${c.fixture}: COMMAND 0x0507 -> 0x${c.after.toString(16).padStart(4, '0')}, MSI-X disabled (pci_device_shutdown, pci_msix_init)`, async () => {
      const m = await qemuFixture(c.fixture);
      const cfg = m.fa.config;
      await driverConfigure(m.fa, { kernel: '6.1' });
      expect(await cfg.readw(PCI_COMMAND)).toBe(0x0507);
      expect((await cfg.readw(m.msixCap + PCI_MSIX_FLAGS)) & PCI_MSIX_FLAGS_ENABLE).toBe(PCI_MSIX_FLAGS_ENABLE);

      const log = await simulateKexec(m.fa, { preserved: false, driver: c.driver, from: '6.1', to: '6.1' });
      expect(await cfg.readw(PCI_COMMAND)).toBe(c.after);
      expect((await cfg.readw(m.msixCap + PCI_MSIX_FLAGS)) & PCI_MSIX_FLAGS_ENABLE).toBe(0);
      // Who cleared MSI-X: the driver (pci_free_irq_vectors) or, for virtio, kernel B's pci_msix_init.
      expect(steps(log)).toContain(c.driver === 'virtio' ? 'pci_msix_init' : 'pci_msix_shutdown');
    });
  }

  it('e1000e: Device Control is read-only on QEMU 7.2, so pci_enable_pcie_error_reporting is dropped (qemu.md 2.1)', async () => {
    const m = await qemuFixture('e1000e');
    const { log } = await driverConfigure(m.fa, { kernel: '6.1' });
    const w = log.writes.find((x) => x.fn === 'pci_enable_pcie_error_reporting');
    expect(w).toMatchObject({ offset: m.pcieCap + 0x08, value: 0x000f, readback: 0x0000 });
  });

  it('a preserved device (bound to vfio-pci, no ->shutdown) keeps bus master: PCI Live Update "skip BME clear on kexec"', async () => {
    const m = await qemuFixture('e1000e');
    await driverConfigure(m.fa, { kernel: '6.12' });
    const log = await simulateKexec(m.fa, { preserved: true, driver: 'none', from: '6.12', to: '7.1' });
    expect(await m.fa.config.readw(PCI_COMMAND)).toBe(0x0507);
    expect(steps(log)).not.toContain('pci_clear_master');
    expect(log.notes.map((n) => n.step)).toContain('pci_device_shutdown');
  });
});

/**
 * pcieport's probe and remove on a q35 Root Port (sim/kexec-sim/pcieport.ts, driver-configure.ts),
 * set against QEMU's pci_cfg_write trace of `lusim cycle --qemu --qemu-device pcie-root-port,id=rp1
 * --qemu-device nvme,id=nv,bus=rp1,serial=x --from 6.12 --to 7.x --timeline`, 2026-12-07: the
 * port's writes in phase "unbind B" (sysfs unbind in Debian 7.2.13), and kernel A 6.12's
 * pcie_portdrv_shutdown in phase "shutdown A".
 */
import { describe, expect, it } from 'vitest';
import { driverProbe, kernelRemove, portServices, DEFAULT_PLATFORM } from '../../../sim/kexec-sim/index.js';
import { kexecDev } from '../../../sim/kexec-sim/dev.js';
import { WriteLog } from '../../../sim/write-log/write-log.js';
import { qemuFixture } from './helpers.js';

const hex = (log: WriteLog) => log.writes.filter((w) => w.space === 'config').map((w) => `${w.offset.toString(16)}=${w.value.toString(16)}`);
const bound = (b: Uint8Array) => { b[0x04] = 0x03; b[0x05] = 0x01; };

describe('pcieport on a q35 Root Port', () => {
  it('remove, 7.2: PME\'s, AER\'s and the bandwidth controller\'s ->remove in the order the services were added, then the vectors and pci_disable_device', async () => {
    const port = await qemuFixture('pcie-root-port', bound);
    await driverProbe(port.fa, { kernel: '7.2', driver: 'pcieport' });
    const log = await kernelRemove(port.fa, { driver: 'pcieport', kernel: '7.2' });
    expect(hex(log)).toEqual(['70=0', '74=10000', '12c=0', '130=0', '64=0', '4a=0', '4=107', '4=103']);
  });

  it('shutdown, 6.12: no bandwidth controller to remove', async () => {
    const port = await qemuFixture('pcie-root-port', bound);
    await driverProbe(port.fa, { kernel: '6.12', driver: 'pcieport' });
    const log = await kernelRemove(port.fa, { driver: 'pcieport', kernel: '6.12' });
    expect(hex(log).slice(0, 5)).toEqual(['70=0', '74=10000', '12c=0', '130=0', '4a=0']);
  });

  it('the bandwidth controller needs more than one supported link speed (pcie_get_supported_speeds)', async () => {
    const services = async (edit: (b: Uint8Array) => void) => portServices(await kexecDev((await qemuFixture('pcie-root-port', edit)).fa, new WriteLog()), '7.3', DEFAULT_PLATFORM);
    expect(await services(() => {})).toContain('bwctrl');
    // Max Link Speed 2.5 GT/s and only 2.5 GT/s in the Supported Link Speeds Vector.
    expect(await services((b) => { b[0x60] = (b[0x60]! & 0xf0) | 1; b[0x80] = 0x02; })).not.toContain('bwctrl');
    // No LNKCAP2 vector, Max Link Speed 5 GT/s: two speeds synthesized.
    expect(await services((b) => { b[0x60] = (b[0x60]! & 0xf0) | 2; b[0x80] = 0; })).toContain('bwctrl');
  });

  it('6.1 on a switch port: the AER service nobody binds gets a vector no one requests, and its message is zeroed after pci_msi_shutdown (QEMU\'s trace of a 6.1 unbind)', async () => {
    const up = await qemuFixture('x3130-upstream', bound);
    await driverProbe(up.fa, { kernel: '6.1', driver: 'pcieport' });
    const log = await kernelRemove(up.fa, { driver: 'pcieport', kernel: '6.1' });
    expect(log.writes.map((w) => w.fn)).toEqual(['pci_msi_set_enable', 'pci_intx_for_msi', 'msi_domain_deactivate', 'msi_domain_deactivate', 'msi_domain_deactivate', 'msi_domain_deactivate', 'pci_disable_device']);
  });

  // QEMU's trace of an ioh3420's boot B (`lusim cycle --qemu --qemu-device ioh3420,id=rp1,chassis=1,slot=1
  // --qemu-device virtio-net-pci,id=n1,bus=rp1 --timeline`, 2026-12-08), from pci_set_master to
  // pcie_pme_probe's interrupt enable. The real data of the requested vector was 0x20 (7.2) and
  // 0x21 (6.1), the allocator's; the model writes 0x22.
  const probe = async (kernel: '7.2' | '6.1') => {
    const port = await qemuFixture('ioh3420', bound);
    const all = hex((await driverProbe(port.fa, { kernel, driver: 'pcieport' })).log);
    return all.slice(all.indexOf('4=107'), all.indexOf('ac=8') + 1);
  };

  it('MSI on an ioh3420, 7.2: allocated on MANAGED_IRQ_SHUTDOWN_VECTOR, then pcie_pme_probe\'s request_irq writes the real message twice and unmasks', async () => {
    expect(await probe('7.2')).toEqual([
      '4=107', '62=102', '6c=3', '62=102', '64=fee00000', '68=ef', '4=507', '62=103',
      'ac=0', 'b0=10000', '62=103', '64=fee00000', '68=22', '62=103', '64=fee00000', '68=22', '6c=2', 'ac=8',
    ]);
  });

  it('MSI on an ioh3420, 6.1: the multi-MSI try first (disable, mask, unmask), flat logical addresses', async () => {
    expect(await probe('6.1')).toEqual([
      '4=107', '62=102', '6c=3', '6c=0', '62=102', '6c=3', '62=102', '64=fee01004', '68=ef', '4=507', '62=103',
      'ac=0', 'b0=10000', '62=103', '64=fee01004', '68=22', '62=103', '64=fee01004', '68=22', '6c=2', 'ac=8',
    ]);
  });
});

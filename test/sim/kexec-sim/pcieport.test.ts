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
});

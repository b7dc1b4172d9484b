/**
 * Kernel B's bus scan of a bridge (sim/kexec-sim/scan-bridge.ts) and pcieport's probe on it, set
 * against QEMU's pci_cfg_write trace of a q35 pcie-root-port with an nvme below it:
 * `lusim cycle --qemu --qemu-device pcie-root-port,id=rp1 --qemu-device nvme,id=nv,bus=rp1,serial=x
 * --from A --to B --format linux-blob --timeline --json`, 2026-12-07, kernel B Debian 7.2.13,
 * 6.12.118 and 6.1.0-57: the port's boot-B writes after pci_init_capabilities' last one, in order.
 */
import { describe, expect, it } from 'vitest';
import { driverProbe, kernelEnumerate, kernelScanBridge } from '../../../sim/kexec-sim/index.js';
import { commonClockPlan } from '../../../sim/kexec-sim/aspm.js';
import type { KernelProfileId } from '../../../sim/linux/profile.js';
import { WriteLog } from '../../../sim/write-log/write-log.js';
import { qemuFixture, syntheticEndpoint, SYN } from './helpers.js';

const hex = (log: WriteLog) => log.writes.filter((w) => w.space === 'config').map((w) => `${w.offset.toString(16)}=${w.value.toString(16)}`);

/** The q35 port as kernel A 6.12 and its shutdown left it in the traced run: windows open, the prefetchable one 64-bit, bus master off. */
const asKernelALeftIt = (b: Uint8Array) => {
  b[0x04] = 0x03; b[0x05] = 0x01; // COMMAND IO|MEM|SERR
  b[0x1c] = 0x10; b[0x1d] = 0x10; // I/O window 0x1000-0x1fff
  b.set([0x60, 0xfe, 0x70, 0xfe], 0x20); // memory window 0xfe600000-0xfe7fffff
  b.set([0xa1, 0xfe, 0xb1, 0xfe], 0x24); // prefetchable 0xfea00000-0xfebfffff, 64-bit
  b[0x3e] = 0x02; // BRIDGE_CONTROL SERR
};

async function portBootB(to: KernelProfileId): Promise<string[]> {
  const port = await qemuFixture('pcie-root-port', asKernelALeftIt);
  const nvme = await qemuFixture('nvme');
  const log = await kernelScanBridge(port.fa, to, { access: nvme.fa, devfn: 0 });
  await driverProbe(port.fa, { kernel: to, driver: 'pcieport' }, log);
  return hex(log);
}

// The scan: pass 0 (Master-Abort off; pci_configure_ari of the nvme below clears ARI Forwarding;
// ASPM's common clock on the port's end, the retrain), pass 1, pci_setup_bridge.
const SCAN_7 = ['3e=2', '7c=0', '64=0', '64=20', '66=4000', '1e=ffff', '3e=2', '3e=2', '1e=ffff', '3e=2', '30=ffff', '1c=1010', '30=0', '20=fe70fe60', '2c=0', '24=feb0fea0', '28=0', '2c=0', '3e=2'];
// pcieport: PME interrupt off, bus master, one MSI-X vector, PME's probe, AER's aer_enable_rootport.
const PORTDRV = ['70=0', '4=107', '4a=c000', '4=507', '4a=8000', '70=0', '74=10000', '70=8', '5e=0', '70=0', '130=0', '110=0', '104=0', '12c=7'];

describe('kernel B\'s bus scan and pcieport probe of a q35 Root Port, write by write as QEMU traced them', () => {
  it('7.2: ACS written at bind (pci_dma_configure), the bandwidth controller last', async () => {
    expect(await portBootB('7.2')).toEqual([...SCAN_7, '14e=0', ...PORTDRV, '64=c00', '66=c000']);
  });
  it('6.12: ACS was written at enumeration, no bandwidth controller (v6.13)', async () => {
    expect(await portBootB('6.12')).toEqual([...SCAN_7, ...PORTDRV]);
  });
  it('6.1: no Secondary Status clear and no LBMS clear after the retrain; AER turns error reporting on before its interrupts', async () => {
    expect(await portBootB('6.1')).toEqual([
      '3e=2', '7c=0', '64=0', '64=20', '3e=2', '3e=2', '3e=2', '30=ffff', '1c=1010', '30=0', '20=fe70fe60', '2c=0', '24=feb0fea0', '28=0', '2c=0', '3e=2',
      ...PORTDRV.slice(0, -1), '5c=f', '12c=7',
    ]);
  });
});

describe('kernelScanBridge', () => {
  it('an endpoint gets nothing; a bridge with nothing below gets both passes and pci_setup_bridge only', async () => {
    const ep = await syntheticEndpoint();
    expect(hex(await kernelScanBridge(ep.fa, '7.3', undefined))).toEqual([]);
    const port = await qemuFixture('pcie-root-port', asKernelALeftIt);
    expect(hex(await kernelScanBridge(port.fa, '7.3', undefined))).toEqual(SCAN_7.filter((w) => !['7c=0', '64=0', '64=20', '66=4000'].includes(w)));
  });

  it('closed windows are written in their closed encoding (I/O 0x00f0, memory 0x0000fff0, prefetchable 0x0000fff0 with upper halves 0)', async () => {
    const port = await qemuFixture('pcie-root-port', (b) => {
      asKernelALeftIt(b);
      b[0x1c] = 0x20; b[0x1d] = 0x10; // I/O base above limit
      b.set([0x70, 0xfe, 0x60, 0xfe], 0x20);
      b.set([0xb1, 0xfe, 0xa1, 0xfe], 0x24);
    });
    const w = hex(await kernelScanBridge(port.fa, '7.3', undefined));
    expect(w.slice(w.indexOf('30=ffff'))).toEqual(['30=ffff', '1c=f0', '30=0', '20=fff0', '2c=0', '24=fff0', '28=0', '2c=0', '3e=2']);
  });

  it('pci_configure_ari sets ARI Forwarding Enable when the function at devfn 0 below has an ARI capability, and leaves the port alone for another devfn', async () => {
    const port = await qemuFixture('pcie-root-port', asKernelALeftIt);
    // The synthetic endpoint gets an ARI capability at 0x1c0, chained after its LTR one.
    const ari = await syntheticEndpoint((b) => { b.set([0x18, 0x00, 0x01, 0x1c], 0x180); b.set([0x0e, 0x00, 0x01, 0x00], 0x1c0); });
    const withAri = hex(await kernelScanBridge(port.fa, '7.3', { access: ari.fa, devfn: 0 }));
    expect(withAri).toContain('7c=20');
    const again = await qemuFixture('pcie-root-port', asKernelALeftIt);
    expect(hex(await kernelScanBridge(again.fa, '7.3', { access: ari.fa, devfn: 1 })).some((w) => w.startsWith('7c='))).toBe(false);
  });

  it('ASPM common clock: both ends on the slot clock set CCC on the port, then the retrain (which reads CCC back 0: QEMU 7.2 opens CCC only where pcie_cap_lnkctl_init runs, not on pcie-root-port)', async () => {
    const slc = (b: Uint8Array, pcie: number) => { b[pcie + 0x13] |= 0x10; };
    const port = await qemuFixture('pcie-root-port', (b) => { asKernelALeftIt(b); slc(b, 0x54); });
    const ep = await syntheticEndpoint((b) => { slc(b, SYN.PCIE); b[SYN.PCIE + 0x0d] |= 0x04; }); // ASPM L0s too, which the q35 port offers
    const w = hex(await kernelScanBridge(port.fa, '7.3', { access: ep.fa, devfn: 0 }));
    expect(w.slice(1, 5)).toEqual(['7c=0', '64=40', '64=20', '66=4000']);
  });

  it('commonClockPlan: one decision for both ends (pcie_aspm_configure_common_clock)', () => {
    const end = (lnksta: number, lnkctl: number) => ({ lnkcap: 0x400, lnksta, lnkctl });
    const child = (lnksta: number, lnkctl: number, devcap = 0x8000) => ({ ...end(lnksta, lnkctl), devcap });
    expect(commonClockPlan(end(0x1000, 0x40), child(0x1000, 0x40))).toMatchObject({ write: false, why: expect.stringMatching(/already in common clock/) });
    expect(commonClockPlan(end(0x1000, 0x40), child(0x1000, 0))).toMatchObject({ write: true, ccc: true });
    expect(commonClockPlan(end(0, 0x40), child(0x1000, 0x40))).toMatchObject({ write: true, ccc: false });
    expect(commonClockPlan(end(0x1000, 0), child(0x1000, 0, 0))).toMatchObject({ write: false, why: expect.stringMatching(/pre-1.1/) });
    expect(commonClockPlan({ ...end(0, 0), lnkcap: 0x800 }, child(0, 0))).toMatchObject({ write: false, why: expect.stringMatching(/no ASPM state/) });
  });

  it('a Root Port\'s own enumeration has no upstream bridge: no common-clock write on its LNKCTL, MPS left as found', async () => {
    const port = await qemuFixture('pcie-root-port', asKernelALeftIt);
    const log = await kernelEnumerate(port.fa, '7.3');
    expect(log.writes.some((w) => w.fn === 'pcie_aspm_configure_common_clock')).toBe(false);
    expect(log.notes.map((n) => n.why)).toContain('no upstream PCIe bridge: MPS left as found');
  });
});

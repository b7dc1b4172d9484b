/**
 * ID-keyed reset flags from quirks.c (sim/reset-methods/quirk-flags.ts, read from Debian's
 * linux-source-7.2 7.2.13 / 7.3.4): e1000e below its root port lists "pm bus"; the same function
 * with an Atheros AR9xxx ID (168c:0030, quirk_no_bus_reset) loses bus on 7.2, and with a Mellanox
 * Spectrum ID (15b3:cb84, quirk_no_pm_reset) loses pm.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLspci } from '../../../devices/dump/lspci.js';
import { Topology } from '../../../sim/topology.js';
import { probeDeviceFromDump } from '../../../sim/reset-methods/device.js';
import { kernelProfile } from '../../../sim/reset-methods/kernels.js';
import { predictResetMethods } from '../../../sim/reset-methods/predict.js';

function predict(vendor: number, device: number, kernel: string) {
  const port = parseLspci(readFileSync('fixtures/qemu/pcie-root-port.lspci', 'utf8'))[0];
  const nic = parseLspci(readFileSync('fixtures/qemu/e1000e.lspci', 'utf8'))[0];
  const bytes = nic.bytes.slice();
  bytes[0] = vendor & 0xff; bytes[1] = vendor >> 8; bytes[2] = device & 0xff; bytes[3] = device >> 8;
  const dev = { ...nic, bytes };
  return predictResetMethods(probeDeviceFromDump(new Topology([port, dev]), dev.bdf), kernelProfile(kernel));
}

describe('quirks.c PCI_DEV_FLAGS_NO_*_RESET by device ID', () => {
  it('the e1000e itself: pm bus on 7.2 (no quirk matches)', () => {
    expect(predict(0x8086, 0x10d3, '7.2').resetMethods).toEqual(['pm', 'bus']);
  });
  it('Atheros 168c:0030 (quirk_no_bus_reset): bus is gone on 7.2 and 7.3', () => {
    for (const k of ['7.2', '7.3']) {
      const p = predict(0x168c, 0x0030, k);
      expect(p.resetMethods).toEqual(['pm']);
      expect(p.reasons[0]).toBe('quirks.c quirk_no_bus_reset sets PCI_DEV_FLAGS_NO_BUS_RESET for this device');
    }
  });
  it('Mellanox 15b3:cb84 off the root bus (quirk_no_pm_reset): pm is gone', () => {
    expect(predict(0x15b3, 0xcb84, '7.2').resetMethods).toEqual(['bus']);
  });
  it('versions whose quirks.c was not read apply none and say so', () => {
    const p = predict(0x168c, 0x0030, '6.12');
    expect(p.resetMethods).toEqual(['pm', 'bus']);
    expect(p.reasons[0]).toMatch(/not modelled for 6\.12 \(its quirks\.c was not read\); give them with --flags/);
  });
});

/**
 * ID-keyed reset flags from quirks.c, per release (sim/reset-methods/quirk-flags.ts). Where each
 * expectation comes from: the DECLARE_PCI_FIXUP_* lines naming quirk_no_bus_reset,
 * quirk_nvidia_no_bus_reset, quirk_no_pm_reset, quirk_no_flr and quirk_no_flr_snet in each
 * release's drivers/pci/quirks.c: 15 in 6.1-rc7 (krr-io/linux-6.1.0; the same in 6.1.15), 21 in
 * v6.12 (shilei-massclouds/linux-6.12), 22 in v6.19 (matankalina/linux-6.19.10-fork), 27 in 7.1.3
 * (rikudousennin22/linux-7.1.3), 31 in Debian's 7.2.13. The devices: QEMU's e1000e below its root
 * port lists "pm bus" and QEMU's nvme "flr bus" (fixtures/qemu; observed on Debian's kernels),
 * given other vendor/device IDs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLspci } from '../../../devices/dump/lspci.js';
import { Topology } from '../../../sim/topology.js';
import { probeDeviceFromDump } from '../../../sim/reset-methods/device.js';
import { kernelProfile } from '../../../sim/reset-methods/kernels.js';
import { predictResetMethods } from '../../../sim/reset-methods/predict.js';
import { flagQuirksOf } from '../../../sim/reset-methods/quirk-flags.js';

function predict(fixture: 'e1000e' | 'nvme', vendor: number, device: number, kernel: string) {
  const port = parseLspci(readFileSync('fixtures/qemu/pcie-root-port.lspci', 'utf8'))[0];
  const fn = parseLspci(readFileSync(`fixtures/qemu/${fixture}.lspci`, 'utf8'))[0];
  const bytes = fn.bytes.slice();
  bytes[0] = vendor & 0xff; bytes[1] = vendor >> 8; bytes[2] = device & 0xff; bytes[3] = device >> 8;
  const dev = { ...fn, bytes };
  return predictResetMethods(probeDeviceFromDump(new Topology([port, dev]), dev.bdf), kernelProfile(kernel));
}

describe('quirks.c PCI_DEV_FLAGS_NO_*_RESET by device ID, per release', () => {
  it('holds as many entries as each release\'s quirks.c declares', () => {
    expect((['6.1', '6.12', '6.19', '7.1', '7.2'] as const).map((r) => flagQuirksOf(r).length)).toEqual([15, 21, 22, 27, 31]);
  });
  it('the devices themselves: no quirk matches', () => {
    expect(predict('e1000e', 0x8086, 0x10d3, '7.2').resetMethods).toEqual(['pm', 'bus']);
    expect(predict('nvme', 0x1b36, 0x0010, '6.1').resetMethods).toEqual(['flr', 'bus']);
  });
  it('Atheros 168c:0030 (quirk_no_bus_reset, in every release read): bus is gone from 6.1 on', () => {
    for (const k of ['6.1', '6.12', '6.19', '7.1', '7.2', '7.3']) {
      const p = predict('e1000e', 0x168c, 0x0030, k);
      expect(p.resetMethods).toEqual(['pm']);
      expect(p.reasons[0]).toBe('quirks.c quirk_no_bus_reset sets PCI_DEV_FLAGS_NO_BUS_RESET for this device (in quirks.c since 6.1)');
    }
  });
  it('NVIDIA 10de:2342 (quirk_nvidia_no_bus_reset: device & 0xffc0 == 0x2340) has no bus; 10de:2380 keeps it', () => {
    expect(predict('e1000e', 0x10de, 0x2342, '6.1').resetMethods).toEqual(['pm']);
    expect(predict('e1000e', 0x10de, 0x2380, '6.1').resetMethods).toEqual(['pm', 'bus']);
  });
  it('Mellanox Spectrum 15b3:cb84 (quirk_no_pm_reset) loses pm from 6.12 on, not in 6.1', () => {
    expect(predict('e1000e', 0x15b3, 0xcb84, '6.1').resetMethods).toEqual(['pm', 'bus']);
    expect(predict('e1000e', 0x15b3, 0xcb84, '6.12').resetMethods).toEqual(['bus']);
  });
  it('MediaTek MT7922 14c3:0616 (quirk_no_flr) loses flr from 6.19 on, not in 6.12', () => {
    expect(predict('nvme', 0x14c3, 0x0616, '6.12').resetMethods).toEqual(['flr', 'bus']);
    expect(predict('nvme', 0x14c3, 0x0616, '6.19').resetMethods).toEqual(['bus']);
  });
  it('ASMedia ASM1164 1b21:1164 and AMD NPU 1022:17f0 first in 7.1.3; not in 6.19', () => {
    expect(predict('e1000e', 0x1b21, 0x1164, '6.19').resetMethods).toEqual(['pm', 'bus']);
    expect(predict('e1000e', 0x1b21, 0x1164, '7.1').resetMethods).toEqual(['pm']);
    expect(predict('nvme', 0x1022, 0x17f0, '6.19').resetMethods).toEqual(['flr', 'bus']);
    expect(predict('nvme', 0x1022, 0x17f0, '7.1').resetMethods).toEqual(['bus']);
  });
  it('the .y profiles get their base release\'s table and say that the stable releases were not read', () => {
    const p = predict('e1000e', 0x15b3, 0xcb84, '6.1.y');
    expect(p.resetMethods).toEqual(['pm', 'bus']);
    expect(p.reasons[0]).toBe("quirks.c: 6.1.y is given v6.1's table: the 6.1.y stable releases' quirks.c (Debian's 6.1.192) was not read; give missing flags with --flags");
    expect(predict('e1000e', 0x15b3, 0xcb84, '6.12.y').resetMethods).toEqual(['bus']);
  });
});

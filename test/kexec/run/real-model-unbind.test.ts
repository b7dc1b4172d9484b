/**
 * The real run's unbind prediction across functions (kexec/run/real-model.ts rootPortsAbove,
 * predictUnbind): v6.1's pcieport ->remove on a Root Port walks its bus (aer_disable_rootport ->
 * set_downstream_devices_error_reporting(false), pcie/aer.c), so the ports of a switch below it
 * lose DEVCTL's error-reporting enables whether they are unbound before or after it. Found by
 * `lusim fuzz --seed 7 --qemu 12 --jobs 2`: samples 2 and 10 (Root Port, x3130 switch, virtio-net;
 * kernel B 6.1) read DEVCTL 0 on both switch ports after the unbind where the model kept 0xf.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLspci } from '../../../devices/dump/lspci.js';
import { PCI_EXP_DEVCTL } from '../../../devices/pci-regs.js';
import { predictUnbind, rootPortsAbove } from '../../../kexec/run/real-model.js';
import type { FunctionCapture } from '../../../kexec/run/real-capture.js';

function capture(fixture: string, id: string, bdf: string, parent?: string): FunctionCapture {
  const dump = parseLspci(readFileSync(new URL(`../../../fixtures/qemu/${fixture}.lspci`, import.meta.url), 'latin1'))[0];
  const config = new Uint8Array(4096);
  config.set(dump.bytes.subarray(0, 4096));
  return { id, bdf, vendor: 0, device: 0, isBridge: fixture !== 'virtio-net-aer', ...(parent ? { parent } : {}), config, skipped: [] };
}

describe('unbind predictions below a Root Port', () => {
  const functions = [capture('pcie-root-port', 'rp1', '00:01.0'), capture('x3130-upstream', 'up1', '01:00.0', 'rp1'), capture('xio3130-downstream', 'dn1', '02:00.0', 'up1'), capture('virtio-net-aer', 'net', '03:00.0', 'dn1')];

  it('6.1: every function below the Root Port is walked, before or after it by unbind order; 6.12: none', async () => {
    expect([...(await rootPortsAbove(functions, ['rp1', 'up1', 'dn1', 'net'], '6.1'))]).toEqual([['up1', 'before'], ['dn1', 'before'], ['net', 'before']]);
    expect([...(await rootPortsAbove(functions, ['up1', 'rp1', 'net'], '6.1'))]).toEqual([['up1', 'after'], ['net', 'before']]);
    expect((await rootPortsAbove(functions, ['rp1', 'up1', 'dn1', 'net'], '6.12')).size).toBe(0);
  });

  it('the walk clears a switch port\'s error-reporting enables in the prediction, and says why', async () => {
    const up = functions[1];
    let pcie = up.config[0x34];
    while (pcie && up.config[pcie] !== 0x10) pcie = up.config[pcie + 1];
    expect(pcie).toBeGreaterThan(0);
    const withEnables = { ...up, config: up.config.slice() };
    withEnables.config[pcie + PCI_EXP_DEVCTL] |= 0x0f;
    const plain = await predictUnbind(withEnables, { kernel: '6.1', driver: 'pcieport' });
    const walked = await predictUnbind(withEnables, { kernel: '6.1', driver: 'pcieport', rootPortAbove: 'before' });
    expect(plain.config[pcie + PCI_EXP_DEVCTL] & 0x0f).toBe(0x0f);
    expect(walked.config[pcie + PCI_EXP_DEVCTL] & 0x0f).toBe(0);
    expect(walked.steps[0]).toBe(`set_device_error_reporting@0x${(pcie + PCI_EXP_DEVCTL).toString(16)}`);
  });
});

/** cli/args/device.ts: the DEVICE argument and the upstream port that comes with it (--parent). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveDevice, resolveParent } from '../../cli/args/device.js';

const dir = mkdtempSync(join(tmpdir(), 'lusim-device-arg-'));
const both = join(dir, 'link.lspci');
writeFileSync(both, readFileSync('fixtures/synthetic/root-port-l1ss.lspci', 'utf8') + readFileSync('fixtures/synthetic/endpoint-l1ss.lspci', 'utf8'));

describe('the upstream port of the device', () => {
  it('a built-in device comes with the port it was captured behind', () => {
    expect(resolveParent(resolveDevice('e1000e', undefined), undefined)?.label).toBe('pcie-root-port (QEMU 7.2 fixture)');
    expect(resolveParent(resolveDevice('endpoint-l1ss', undefined), undefined)?.label).toBe('root-port-l1ss (synthetic)');
    expect(resolveParent(resolveDevice('xio3130-downstream', undefined), undefined)?.label).toBe('x3130-upstream (QEMU 7.2 fixture)');
    expect(resolveParent(resolveDevice('pcie-root-port', undefined), undefined)).toBeUndefined();
  });
  it('a dump file holding a bridge and a device below it: the bridge whose secondary bus is the device\'s bus', () => {
    const dev = resolveDevice(both, '02:00.0');
    expect(resolveParent(dev, undefined)?.dump.bdf).toMatchObject({ bus: 0, device: 0x1c, fn: 0 });
    expect(resolveParent(dev, both)?.dump.bdf).toMatchObject({ bus: 0, device: 0x1c, fn: 0 });
  });
  it('none drops the port; a port on another bus, or not a bridge, is refused with what to give instead', () => {
    expect(resolveParent(resolveDevice('e1000e', undefined), 'none')).toBeUndefined();
    expect(() => resolveParent(resolveDevice('e1000e', undefined), 'root-port-l1ss')).toThrow(/secondary bus 2, but the device is on bus 1/);
    expect(() => resolveParent(resolveDevice('e1000e', undefined), 'nvme')).toThrow(/is not a bridge/);
    // A dump of several functions with no bridge onto the device's bus (the e1000e is on bus 1).
    expect(() => resolveParent(resolveDevice('e1000e', undefined), both)).toThrow(`--parent ${both} holds 2 functions and 0 bridges with secondary bus 1: give a dump holding the port alone, or --parent none`);
  });
});

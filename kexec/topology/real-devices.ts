/**
 * The QEMU devices a real run can put behind root ports, by the names users type. User input
 * selects an entry of this table and nothing else: no user text reaches QEMU's command line or the
 * guest. virtio is modern-only (`disable-legacy=on`) so it is PCIe behind a port (qemu.md 1).
 */
import { LusimError } from '../../devices/errors.js';
import type { DeviceSpec } from '../qemu/launcher.js';

export class RealDeviceError extends LusimError<'unknown-device'> {}

const TABLE: Readonly<Record<string, Omit<DeviceSpec, 'id' | 'bus'>>> = {
  e1000e: { driver: 'e1000e' },
  nvme: { driver: 'nvme' }, // its serial is the launcher's (deviceArgs)
  'virtio-net-pci': { driver: 'virtio-net-pci', props: { 'disable-legacy': true } },
  'qemu-xhci': { driver: 'qemu-xhci' },
};

const ALIASES: Readonly<Record<string, string>> = { 'virtio-net': 'virtio-net-pci', xhci: 'qemu-xhci' };

export const REAL_DEVICE_NAMES: readonly string[] = Object.keys(TABLE);

/** `e1000e,nvme` -> endpoint specs with the device name as qdev id (use behindRootPorts on them). */
export function parseRealDevices(list: string): DeviceSpec[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length === 0) throw new RealDeviceError('unknown-device', `no device given: name one or more of ${REAL_DEVICE_NAMES.join(', ')}.`, { list });
  const seen = new Set<string>();
  return names.map((raw) => {
    const name = ALIASES[raw] ?? raw;
    const spec = TABLE[name];
    if (!spec) throw new RealDeviceError('unknown-device', `unknown device "${raw}": use ${REAL_DEVICE_NAMES.join(', ')}.`, { device: raw });
    if (seen.has(name)) throw new RealDeviceError('unknown-device', `device "${name}" is listed twice.`, { device: name });
    seen.add(name);
    return { ...spec, id: name };
  });
}

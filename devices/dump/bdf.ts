/** PCI addresses: domain:bus:device.function, printed as Linux and lspci do ("BB:DD.F"). */
import { DeviceError } from '../errors.js';

export interface Bdf {
  readonly domain: number;
  readonly bus: number;
  readonly device: number;
  readonly fn: number;
}

const BDF_RE = /^(?:([0-9a-fA-F]{4,5}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$/;

export function parseBdf(text: string): Bdf {
  const m = BDF_RE.exec(text.trim());
  if (!m) throw new DeviceError('dump-parse', `"${text}" is not a PCI address: use BB:DD.F or DDDD:BB:DD.F (hex), e.g. 01:00.0`, { bdf: text });
  const device = parseInt(m[3], 16);
  if (device > 0x1f) throw new DeviceError('dump-parse', `device number ${m[3]} in "${text}" is above 1f`, { bdf: text });
  return { domain: m[1] ? parseInt(m[1], 16) : 0, bus: parseInt(m[2], 16), device, fn: parseInt(m[4], 10) };
}

export function formatBdf(b: Bdf, withDomain = false): string {
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  const short = `${h(b.bus, 2)}:${h(b.device, 2)}.${b.fn}`;
  return withDomain || b.domain !== 0 ? `${h(b.domain, 4)}:${short}` : short;
}

/** PCI_DEVFN(device, fn): the order the kernel scans a bus in (pci_scan_child_bus slot 0..31, pci_scan_slot fn 0..7). */
export function devfnOf(b: Bdf): number {
  return b.device * 8 + b.fn;
}

export function sameBdf(a: Bdf, b: Bdf): boolean {
  return a.domain === b.domain && a.bus === b.bus && a.device === b.device && a.fn === b.fn;
}

/** Shared set-up for the cycle suites: modelled fixtures by name, and the port each sits behind. */
import { readFileSync } from 'node:fs';
import { buildFunction, type PciFunction } from '../../../devices/device.js';
import { parseLspci } from '../../../devices/dump/lspci.js';
import { SPEC_PROFILE } from '../../../devices/profile.js';
import { profileForDump } from '../../../devices/profiles/index.js';

const SYNTHETIC = new Set(['endpoint-l1ss', 'root-port-l1ss']);

export function fixture(name: string, profile: 'spec' | 'auto' = 'spec'): () => PciFunction {
  const path = SYNTHETIC.has(name) ? `fixtures/synthetic/${name}.lspci` : `fixtures/qemu/${name}.lspci`;
  const [dump] = parseLspci(readFileSync(path, 'utf8'));
  const p = profile === 'spec' ? SPEC_PROFILE : profileForDump(dump, 'auto');
  return () => buildFunction(dump, p);
}

/** The port each fixture was captured behind (fixtures/qemu/README.md; scripts/make-synthetic.ts); none on the root bus. */
export const PARENT_OF: Readonly<Record<string, string>> = {
  e1000e: 'pcie-root-port', nvme: 'pcie-root-port', 'virtio-net': 'pcie-root-port', 'virtio-net-aer': 'pcie-root-port',
  'qemu-xhci': 'pcie-root-port', 'x3130-upstream': 'pcie-root-port', 'xio3130-downstream': 'x3130-upstream',
  'endpoint-l1ss': 'root-port-l1ss',
};

/** The fixture's upstream port as a `runCycle` option ({} for a function on the root bus). */
export function parentOf(name: string, profile: 'spec' | 'auto' = 'spec'): { parent?: PciFunction } {
  const port = PARENT_OF[name];
  return port ? { parent: fixture(port, profile)() } : {};
}

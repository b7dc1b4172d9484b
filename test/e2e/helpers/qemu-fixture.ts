/**
 * Shared rig for the QEMU-backed differential tests: start the exact topology a fixture in
 * fixtures/qemu/ was captured from (scripts/gen-fixtures.ts FIXTURES; its README), bring the PCI
 * hierarchy up the way gen-fixtures did (PCIEXBAR + bridge numbers, nothing else), and build the
 * model of the same function from the fixture dump with its 'auto' (QEMU 7.2) profile. The
 * fixture is QEMU's power-on state, so model and QEMU start from the same bytes (checked by the
 * callers, not assumed).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFunction, type PciFunction } from '../../../devices/device.js';
import { parseLspci } from '../../../devices/dump/lspci.js';
import { profileForDump } from '../../../devices/profiles/index.js';
import { type DeviceSpec, type QemuInstance, withQemu } from '../../../kexec/qemu/launcher.js';
import { type PciView, preparePci } from '../../../kexec/qemu/pci-topology.js';
import type { QtestConfigAccess } from '../../../kexec/qemu/qtest-config-access.js';

export interface FixtureTopology {
  readonly name: string;
  /** qdev id of the captured function. */
  readonly target: string;
  /** qdev id of the port the target sits below (for a secondary bus reset). */
  readonly parent?: string;
  readonly devices: readonly DeviceSpec[];
}

const rp = (id: string): DeviceSpec => ({ driver: 'pcie-root-port', id });
const virtioModern = { 'disable-legacy': true };
const switchBelowRp: DeviceSpec[] = [
  rp('rp0'),
  { driver: 'x3130-upstream', id: 'up0', bus: 'rp0' },
  { driver: 'xio3130-downstream', id: 'dn0', bus: 'up0' },
  { driver: 'e1000e', id: 'dev', bus: 'dn0' },
];

/** The same command lines as scripts/gen-fixtures.ts FIXTURES (the fixture JSON files record them). */
export const FIXTURE_TOPOLOGIES: readonly FixtureTopology[] = [
  { name: 'e1000e', target: 'dev', parent: 'rp0', devices: [rp('rp0'), { driver: 'e1000e', id: 'dev', bus: 'rp0' }] },
  { name: 'e1000e-rciep', target: 'dev', devices: [{ driver: 'e1000e', id: 'dev' }] },
  { name: 'nvme', target: 'dev', parent: 'rp0', devices: [rp('rp0'), { driver: 'nvme', id: 'dev', bus: 'rp0', props: { serial: 'lusim0' } }] },
  { name: 'virtio-net', target: 'dev', parent: 'rp0', devices: [rp('rp0'), { driver: 'virtio-net-pci', id: 'dev', bus: 'rp0', props: virtioModern }] },
  { name: 'virtio-net-aer', target: 'dev', parent: 'rp0', devices: [rp('rp0'), { driver: 'virtio-net-pci', id: 'dev', bus: 'rp0', props: { ...virtioModern, aer: true } }] },
  { name: 'qemu-xhci', target: 'dev', parent: 'rp0', devices: [rp('rp0'), { driver: 'qemu-xhci', id: 'dev', bus: 'rp0' }] },
  { name: 'pcie-root-port', target: 'rp0', devices: [rp('rp0'), { driver: 'e1000e', id: 'dev', bus: 'rp0' }] },
  { name: 'ioh3420', target: 'rp0', devices: [{ driver: 'ioh3420', id: 'rp0' }, { driver: 'e1000e', id: 'dev', bus: 'rp0' }] },
  { name: 'x3130-upstream', target: 'up0', parent: 'rp0', devices: switchBelowRp },
  { name: 'xio3130-downstream', target: 'dn0', parent: 'up0', devices: switchBelowRp },
];

export interface FixtureRig {
  readonly topology: FixtureTopology;
  readonly q: QemuInstance;
  pci: PciView;
  /** The target function in QEMU (ECAM). */
  cfg: QtestConfigAccess;
  /** The model of the same function, built from the fixture with its 'auto' profile. */
  readonly fn: PciFunction;
  /** The fixture's bytes (QEMU's power-on state). */
  readonly fixture: Uint8Array;
  /** Redo the hermetic bring-up (after system_reset cleared PCIEXBAR and bus numbers: qemu.md 3.4). */
  bringUp(): Promise<void>;
}

const FIXTURE_DIR = 'fixtures/qemu';

export function loadFixtureFunction(name: string): { fn: PciFunction; fixture: Uint8Array } {
  const [dump] = parseLspci(readFileSync(join(FIXTURE_DIR, `${name}.lspci`), 'utf8'));
  if (!dump) throw new Error(`fixtures/qemu/${name}.lspci holds no device`);
  return { fn: buildFunction(dump, profileForDump(dump, 'auto')), fixture: dump.bytes.slice() };
}

/** Start QEMU with the fixture's topology, bring PCI up hermetically, run `body`, always clean up. */
export async function withFixture<T>(topology: FixtureTopology, body: (rig: FixtureRig) => Promise<T>): Promise<T> {
  return withQemu({ devices: [...topology.devices] }, async (q) => {
    const { fn, fixture } = loadFixtureFunction(topology.name);
    const pci = await preparePci(q);
    const rig: FixtureRig = {
      topology, q, pci, cfg: pci.config(topology.target), fn, fixture,
      async bringUp() {
        rig.pci = await preparePci(q);
        rig.cfg = rig.pci.config(topology.target);
      },
    };
    return body(rig);
  }, 60_000);
}

export const hex = (v: number, digits = 2): string => `0x${v.toString(16).padStart(digits, '0')}`;

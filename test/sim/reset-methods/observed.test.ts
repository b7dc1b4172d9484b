/**
 * The model predicts what real kernels printed (fixtures/observed/reset-methods.json) from the
 * QEMU 7.2 fixtures: an endpoint on the root bus, or the endpoint behind the pcie-root-port
 * fixture (whose secondary bus is 1). Root-bus placements of nvme use the behind-root-port fixture's
 * bytes re-addressed to 00:02.0 (same device, only the PCIe port type differs, which no probe reads).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDump, type DumpDevice } from '../../../devices/dump/index.js';
import { parseBdf } from '../../../devices/dump/bdf.js';
import { Topology } from '../../../sim/topology.js';
import { probeDeviceFromDump } from '../../../sim/reset-methods/device.js';
import { kernelProfile } from '../../../sim/reset-methods/kernels.js';
import { predictResetMethods } from '../../../sim/reset-methods/predict.js';

interface Observation { device: string; fixture: string; placement: 'root-bus' | 'behind-root-port'; kernels: string[]; resetMethod: string }
const observed = JSON.parse(readFileSync('fixtures/observed/reset-methods.json', 'utf8')) as { observations: Observation[] };
const load = (name: string): DumpDevice => parseDump(new Uint8Array(readFileSync(`fixtures/qemu/${name}.lspci`)))[0];

function topologyFor(o: Observation): { devices: DumpDevice[]; bdf: DumpDevice['bdf'] } {
  const ep = load(o.fixture);
  if (o.placement === 'behind-root-port') return { devices: [load('pcie-root-port'), ep], bdf: ep.bdf };
  const onRoot = ep.bdf.bus === 0 ? ep : { ...ep, bdf: parseBdf('00:02.0') };
  return { devices: [onRoot], bdf: onRoot.bdf };
}

describe('real-kernel reset_method observations are predicted from the QEMU fixtures', () => {
  for (const o of observed.observations) {
    for (const k of o.kernels) {
      it(`${o.device} ${o.placement}, Linux ${k}: "${o.resetMethod}"`, () => {
        const { devices, bdf } = topologyFor(o);
        const p = predictResetMethods(probeDeviceFromDump(new Topology(devices), bdf), kernelProfile(k));
        expect(p.resetMethods.join(' ')).toBe(o.resetMethod);
        expect(p.resetWorks).toBe(true);
      });
    }
  }
});

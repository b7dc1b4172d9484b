/**
 * `lusim reset-methods --qemu`: boot a real Debian kernel with the devices behind root ports, read
 * each device's sysfs reset_method through the guest agent, and compare it with the model's
 * prediction (sim/reset-methods predictResetMethods) for the same kernel from the host-side capture
 * of the same devices (their bytes and the bus topology the guest numbered).
 */
import { parseBdf } from '../../devices/dump/bdf.js';
import { kernelProfile as resetKernelProfile } from '../../sim/reset-methods/kernels.js';
import { probeDeviceFromDump } from '../../sim/reset-methods/device.js';
import { predictResetMethods, type ResetMethodsPrediction } from '../../sim/reset-methods/predict.js';
import { Topology } from '../../sim/topology.js';
import type { AcceleratorInfo } from '../qemu/accel.js';
import type { DeviceSpec } from '../qemu/launcher.js';
import { preparePci } from '../qemu/pci-topology.js';
import type { PciDeviceInfo } from '../guest/agent-client.js';
import { captureAll, type Capture } from './real-capture.js';
import type { QemuTopology } from '../topology/qemu-device.js';
import { Phases, RealRunError, resolveKernels, startGuest, type KernelDrivers } from './real-session.js';

export interface LiveResetMethods {
  readonly id: string;
  readonly bdf: string;
  readonly driver: string | null;
  /** What the kernel wrote to sysfs reset_method (empty: the attribute is hidden, no method). */
  readonly real: readonly string[];
  readonly predicted: ResetMethodsPrediction;
  readonly agree: boolean;
}

export interface LiveResetMethodsReport {
  readonly kernel: { readonly release: string; readonly profile: string };
  readonly devices: readonly LiveResetMethods[];
  /** With a topology: the driver each function got (and what guest-driver=none unbound). */
  readonly drivers?: KernelDrivers;
  /** The accelerator QEMU ran (kexec/qemu/accel.ts). */
  readonly accelerator: AcceleratorInfo;
  readonly phases: readonly { name: string; ms: number }[];
}

/**
 * Each function's sysfs reset_method (the agent's DEVICES) beside the model's prediction for the
 * kernel from the host-side capture of the same guest. The real cycle reads it from kernel A's
 * cold boot too (kexec/run/real-cycle.ts), so one guest serves a kernel's reset and cycle checks.
 */
export function compareResetMethods(cap: Capture, devs: readonly PciDeviceInfo[], ids: readonly string[], profileId: string, release: string): LiveResetMethods[] {
  const profile = resetKernelProfile(profileId);
  // Root ports and endpoints together: probeDeviceFromDump needs the parent for the bus reset.
  const topology = new Topology(cap.functions.map((f) => ({ bdf: parseBdf(f.bdf), bytes: f.config })));
  return ids.map((id): LiveResetMethods => {
    const f = cap.functions.find((x) => x.id === id);
    const info = f && devs.find((d) => d.bdf === `0000:${f.bdf}`);
    if (!f || !info) throw new RealRunError('device-missing', `device ${id} is not visible to kernel ${release} (agent DEVICES / query-pci).`, { id });
    const predicted = predictResetMethods(probeDeviceFromDump(topology, parseBdf(f.bdf)), profile);
    const agree = info.resetMethods.length === predicted.resetMethods.length && info.resetMethods.every((m, i) => m === predicted.resetMethods[i]);
    return { id, bdf: f.bdf, driver: info.driver, real: info.resetMethods, predicted, agree };
  });
}

/**
 * With `topology`, every function of it (ports, bridges and each function of a multifunction
 * device included) is compared; otherwise the endpoints, each behind its own root port.
 */
export async function runResetMethodsLive(o: { endpoints: readonly DeviceSpec[]; topology?: QemuTopology; kernel: string; fetch?: boolean; progress?: (m: string) => void; bootTimeoutMs?: number }): Promise<LiveResetMethodsReport> {
  const phases = new Phases();
  const [k] = await phases.run('kernels', () => resolveKernels([o.kernel], { ...(o.fetch !== undefined ? { fetch: o.fetch } : {}), ...(o.progress ? { progress: o.progress } : {}) }));
  const s = await startGuest({ endpoints: o.endpoints, ...(o.topology ? { topology: o.topology } : {}), chain: [k!], ...(o.bootTimeoutMs ? { bootTimeoutMs: o.bootTimeoutMs } : {}) }, phases);
  try {
    const devs = await s.guard(s.agent.devices());
    const cap = await phases.run('capture', async () => s.guard(captureAll(s.q, await preparePci(s.q))));
    const ids = o.topology ? o.topology.devices.map((d) => d.id) : o.endpoints.map((e) => e.id);
    const devices = compareResetMethods(cap, devs, ids, k!.profile, k!.release);
    return { kernel: { release: k!.release, profile: k!.profile }, devices, ...(s.drivers[0] ? { drivers: s.drivers[0] } : {}), accelerator: s.q.accelerator, phases: phases.entries };
  } finally {
    await s.close();
  }
}

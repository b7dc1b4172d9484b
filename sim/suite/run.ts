/**
 * Run one planned test on the model: a reset case asks sim/reset-methods what the kernel lists
 * in sysfs and what VFIO's reset_works becomes; a cycle case runs sim/cycle. The devices come in
 * as dumps (cli/suite reads the files), so this engine stays pure.
 */
import { buildFunction } from '../../devices/device.js';
import type { DumpDevice } from '../../devices/dump/types.js';
import { profileForDump } from '../../devices/profiles/index.js';
import { runCycle, type CycleResult } from '../cycle/run.js';
import { probeDeviceFromDump } from '../reset-methods/device.js';
import { kernelProfile } from '../reset-methods/kernels.js';
import { predictResetMethods, type ResetMethodsPrediction } from '../reset-methods/predict.js';
import { Topology } from '../topology.js';
import type { KernelConfig } from '../linux/profile.js';
import { checkCycle, checkReset, observeCycle, observeReset, undecidedReset } from './expect.js';
import type { PlannedTest, TestResult } from './types.js';

/** A case's device, read by the edge: the function, its upstream port, and the dump it came from. */
export interface SuiteDevice {
  readonly label: string;
  readonly dump: DumpDevice;
  /** The upstream port (dev->bus->self) when known. */
  readonly parent?: DumpDevice;
  /** Every function of the source, for the topology reset probes read (siblings, the bridge). */
  readonly all: readonly DumpDevice[];
  readonly barSizes?: readonly (number | undefined)[];
}

export function predictReset(t: PlannedTest, dev: SuiteDevice): ResetMethodsPrediction {
  const r = t.case.reset ?? {};
  const probe = probeDeviceFromDump(new Topology([...dev.all]), dev.dump.bdf, {
    flags: [...(r.flags ?? [])], acpiRst: r.acpi_rst === true, slot: r.slot ?? 'none',
  });
  return predictResetMethods(probe, kernelProfile(t.kernel));
}

/** Kconfig of kernel A / B when a suite names a user's build (its own .config). */
export interface SideKconfig {
  readonly from?: Partial<KernelConfig>;
  readonly to?: Partial<KernelConfig>;
}

export async function modelCycle(t: PlannedTest, dev: SuiteDevice, kconfig: SideKconfig = {}): Promise<CycleResult> {
  const c = t.case.cycle ?? {};
  const flow = c.flow ?? 'plain';
  const build = (d: DumpDevice) => buildFunction(d, profileForDump(d, 'spec'));
  const parent = c.parent === 'none' ? undefined : dev.parent;
  return runCycle(build(dev.dump), {
    from: t.from!, to: t.to!, format: c.format ?? 'linux-blob', flow,
    ...(kconfig.from ? { kconfigFrom: kconfig.from } : {}), ...(kconfig.to ? { kconfigTo: kconfig.to } : {}),
    preserved: flow === 'vfio' ? false : (c.preserved ?? true),
    ...(c.drift ? { drift: c.drift } : {}), ...(c.reset ? { reset: c.reset } : {}),
    ...(dev.barSizes ? { barSizes: dev.barSizes } : {}), ...(parent ? { parent: build(parent) } : {}),
    ...(c.operational ? { operational: c.operational } : {}), ...(c.handover ? { handover: c.handover } : {}),
    ...(c.freeze ? { freeze: { ...(c.freeze.irqs_enabled ? { irqsEnabled: true } : {}), ...(c.freeze.d3hot ? { powerState: 3 as const } : {}) } } : {}),
  });
}

export interface ModelRun {
  readonly result: Omit<TestResult, 'seconds'>;
  /** A cycle case's whole result, for reports that show every field and write (--html). */
  readonly cycle?: CycleResult;
}

/** The test on the model, judged. A model error (a drift naming no register, ...) is status error. */
export async function runModelTest(t: PlannedTest, dev: SuiteDevice, kconfig: SideKconfig = {}): Promise<ModelRun> {
  const base = {
    id: t.id, index: t.index, suite: t.suite.name, file: t.suite.file, case: t.case.name, kernel: t.kernel,
    ...(t.from !== undefined ? { from: t.from, to: t.to } : {}), kind: t.case.cycle ? 'cycle' as const : 'reset' as const, source: 'model' as const,
  };
  try {
    if (t.case.cycle) {
      const r = await modelCycle(t, dev, kconfig);
      const checks = checkCycle(t.expect, r);
      return { result: { ...base, status: checks.every((c) => c.pass) ? 'pass' : 'fail', checks, observed: observeCycle(r) }, cycle: r };
    }
    const p = predictReset(t, dev);
    const checks = checkReset(t.expect, p);
    const undecided = undecidedReset(t.expect, p);
    if (undecided) return { result: { ...base, status: 'error', checks, observed: observeReset(p), error: undecided } };
    return { result: { ...base, status: checks.every((c) => c.pass) ? 'pass' : 'fail', checks, observed: observeReset(p) } };
  } catch (e) {
    return { result: { ...base, status: 'error', checks: [], observed: {}, error: e instanceof Error ? e.message : String(e) } };
  }
}

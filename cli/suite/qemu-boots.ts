/**
 * The QEMU guests `lusim suite run --qemu` boots, planned so one boot serves many tests. The cycle
 * cases take one guest per kernel pair and carried-state options, which carries every device they
 * name across one real kexec (kexec/run/real-cycle.ts). A reset case on kernel K rides in a cycle
 * guest whose kernel A is K, read on A's cold boot (as a passenger when no cycle carries its
 * device); only a kernel no cycle starts from gets a guest of its own for its reset cases
 * (kexec/run/real-reset-methods.ts). `--jobs N` runs N guests at a time.
 */
import { parseRealDevices } from '../../kexec/topology/real-devices.js';
import { runRealCycle } from '../../kexec/run/real-cycle.js';
import type { RealCycleReport, Saver } from '../../kexec/run/real-cycle-report.js';
import { runResetMethodsLive, type LiveResetMethodsReport } from '../../kexec/run/real-reset-methods.js';
import type { SaveFormat } from '../../sim/cycle/carry.js';
import { parseDrift } from '../../sim/linux/drift.js';
import type { PlannedTest } from '../../sim/suite/types.js';
import { QEMU_FIXTURE } from './devices.js';
import { suiteKernelSpec } from './kernels.js';
import { atATime } from '../at-a-time.js';

/** The real-run device of a case (kexec/topology/real-devices.ts names), when QEMU can build it. */
export function realDevice(t: PlannedTest): string | undefined {
  const d = t.case.device;
  if (d.kind === 'dump' || !QEMU_FIXTURE[d.name]) return undefined;
  return d.name === 'virtio-net' ? 'virtio-net-pci' : d.name === 'xhci' ? 'qemu-xhci' : d.name;
}

/** What a real cycle boot carries: kernel A and B and how the state crosses. */
export interface RealCycleRun {
  /** Kernel A and B as the real run takes them: a Debian series, or a path made absolute (cli/suite/kernels.ts). */
  readonly from: string;
  readonly to: string;
  readonly format: SaveFormat;
  readonly saver: Saver;
  readonly drift: string;
}

/**
 * The real cycle kexec/run/real-cycle.ts runs: the plain flow, kernel A's driver bound when it saves
 * (the as-found state), kernel B's driver bound then unbound before the restore, no reset in the
 * kexec window, the state in a memmap= range. A case asking for anything else runs on the model
 * only, and `why` says what the real run lacks. linux-blob is saved by the guest kernels
 * themselves (the kernel saver); lusim-v1, which no kernel writes, by their profiles over qtest.
 */
export function realCycleRun(t: PlannedTest): RealCycleRun | { readonly why: string } {
  const c = t.case.cycle!;
  const modelOnly = (what: string) => ({ why: `model only: ${what}; the real cycle (kexec/run/real-cycle.ts) runs the plain flow with kernel A's driver bound, no reset, a memmap= range` });
  if (c.flow !== undefined && c.flow !== 'plain') return modelOnly(`flow ${c.flow}`);
  if (c.reset) return modelOnly(`a ${c.reset} reset in the kexec window`);
  if (c.handover === 'luo') return modelOnly('handover luo (Debian\'s kernels build no KEXEC_HANDOVER)');
  if (c.operational === 'enumerated') return modelOnly('operational: enumerated (kernel A\'s driver is bound on a real boot)');
  const format = c.format ?? 'linux-blob';
  const saver: Saver = format === 'linux-blob' ? 'kernel' : 'host';
  // kexec/run/real-cycle.ts checkSaver: a drift edits the blob kernel A's own pci_store_saved_state wrote.
  if (c.drift && saver !== 'kernel') return modelOnly(`drift with format ${format} (a real drift edits the linux-blob kernel A stored)`);
  return { from: suiteKernelSpec(t.from!, t.suite.file), to: suiteKernelSpec(t.to!, t.suite.file), format, saver, drift: c.drift ?? '' };
}

export type Boot =
  | { readonly kind: 'reset'; readonly key: string; readonly kernel: string; readonly devices: Set<string> }
  | { readonly kind: 'cycle'; readonly key: string; readonly run: RealCycleRun; readonly devices: Set<string>; readonly passengers: Set<string> };

/** A cycle guest's report is kept when it fails: kernel A's reset_method may be in it all the same. */
export type BootOutcome =
  | { readonly kind: 'reset'; readonly report: LiveResetMethodsReport }
  | { readonly kind: 'cycle'; readonly report: RealCycleReport }
  | { readonly kind: 'failed'; readonly error: string };

/** What booted, for the run's log and the tests (how few boots served the suite). */
export interface BootRecord {
  readonly key: string;
  /** Carried across the kexec (cycle) or read (reset). */
  readonly devices: readonly string[];
  /** Booted beside the carried devices for kernel A's reset_method only. */
  readonly passengers: readonly string[];
  readonly startMs: number;
  readonly endMs: number;
  readonly ok: boolean;
}

export const resetBootKey = (kernel: string) => `reset ${kernel}`;
export const cycleBootKey = (r: RealCycleRun) => `cycle ${r.from} -> ${r.to} ${r.format}${r.drift ? ` drift ${r.drift}` : ''}`;

/** The boot each test needs (none: the test runs on the model only) and the boots, cycles first. */
export function planBoots(tests: readonly PlannedTest[]): { boots: Boot[]; byTest: Map<string, string> } {
  const boots = new Map<string, Boot>();
  const byTest = new Map<string, string>();
  for (const t of tests) {
    const device = realDevice(t);
    const run = device && t.case.cycle ? realCycleRun(t) : undefined;
    if (!run || 'why' in run) continue;
    const key = cycleBootKey(run);
    const boot = boots.get(key) ?? { kind: 'cycle', key, run, devices: new Set<string>(), passengers: new Set<string>() };
    if (boot.kind === 'cycle') boot.devices.add(device!);
    boots.set(key, boot);
    byTest.set(t.id, key);
  }
  for (const t of tests) {
    const device = realDevice(t);
    if (!device || t.case.cycle) continue;
    const kernel = suiteKernelSpec(t.kernel, t.suite.file);
    const ride = [...boots.values()].find((b) => b.kind === 'cycle' && b.run.from === kernel);
    if (ride?.kind === 'cycle') {
      if (!ride.devices.has(device)) ride.passengers.add(device);
      byTest.set(t.id, ride.key);
      continue;
    }
    const key = resetBootKey(kernel);
    const boot = boots.get(key) ?? { kind: 'reset', key, kernel, devices: new Set<string>() };
    boot.devices.add(device);
    boots.set(key, boot);
    byTest.set(t.id, key);
  }
  return { boots: [...boots.values()], byTest };
}

/** Run the boots `jobs` at a time. A boot that fails fails its tests, not the run. */
export async function runBoots(boots: readonly Boot[], jobs: number, log: (m: string) => void): Promise<{ outcomes: Map<string, BootOutcome>; records: BootRecord[] }> {
  const outcomes = new Map<string, BootOutcome>();
  const records: BootRecord[] = [];
  const t0 = performance.now();
  await atATime(boots, jobs, async (b) => {
    const devices = [...b.devices];
    const passengers = b.kind === 'cycle' ? [...b.passengers] : [];
    const startMs = performance.now() - t0;
    log(`booting ${b.key} with ${devices.join(', ')}${passengers.length ? ` (and ${passengers.join(', ')} for reset_method)` : ''}`);
    const outcome = await runBoot(b, devices, passengers, (m) => log(`${b.key}: ${m}`));
    outcomes.set(b.key, outcome);
    const ok = outcome.kind === 'reset' || (outcome.kind === 'cycle' && outcome.report.ok);
    records.push({ key: b.key, devices, passengers, startMs: Math.round(startMs), endMs: Math.round(performance.now() - t0), ok });
  });
  return { outcomes, records: records.sort((a, b) => a.startMs - b.startMs) };
}

async function runBoot(b: Boot, devices: string[], passengers: string[], progress: (m: string) => void): Promise<BootOutcome> {
  const endpoints = parseRealDevices(devices.join(','));
  if (b.kind === 'cycle') {
    const r = b.run;
    const others = passengers.length ? { passengers: parseRealDevices(passengers.join(',')) } : {};
    return { kind: 'cycle', report: await runRealCycle({ endpoints, ...others, from: r.from, to: r.to, format: r.format, saver: r.saver, drift: r.drift ? parseDrift(r.drift) : [], fetch: false, progress }) };
  }
  try {
    return { kind: 'reset', report: await runResetMethodsLive({ endpoints, kernel: b.kernel, fetch: false, progress }) };
  } catch (e) {
    return { kind: 'failed', error: `the real boot of ${b.kernel} failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/**
 * The QEMU guests `lusim suite run --qemu` boots, planned so one boot serves many tests: one guest
 * per kernel for the reset cases (every device they name behind root ports,
 * kexec/real-reset-methods.ts), and one guest per kernel pair and carried-state options for the
 * cycle cases (every device they name, saved by kernel A and restored by kernel B across one real
 * kexec, kexec/real-cycle.ts). `--jobs N` runs N guests at a time.
 */
import { parseRealDevices } from '../../kexec/real-devices.js';
import { runRealCycle, type RealCycleReport, type Saver } from '../../kexec/real-cycle.js';
import { runResetMethodsLive, type LiveResetMethodsReport } from '../../kexec/real-reset-methods.js';
import type { SaveFormat } from '../../sim/cycle/carry.js';
import { parseDrift } from '../../sim/linux/drift.js';
import type { PlannedTest } from '../../sim/suite/types.js';
import { QEMU_FIXTURE } from './devices.js';

/** The real-run device of a case (kexec/real-devices.ts names), when QEMU can build it. */
export function realDevice(t: PlannedTest): string | undefined {
  const d = t.case.device;
  if (d.kind === 'dump' || !QEMU_FIXTURE[d.name]) return undefined;
  return d.name === 'virtio-net' ? 'virtio-net-pci' : d.name === 'xhci' ? 'qemu-xhci' : d.name;
}

/** What a real cycle boot carries: kernel A and B and how the state crosses. */
export interface RealCycleRun {
  readonly from: string;
  readonly to: string;
  readonly format: SaveFormat;
  readonly saver: Saver;
  readonly drift: string;
}

/**
 * The real cycle kexec/real-cycle.ts runs: the plain flow, kernel A's driver bound when it saves
 * (the as-found state), kernel B's driver bound then unbound before the restore, no reset in the
 * kexec window, the state in a memmap= range. A case asking for anything else runs on the model
 * only, and `why` says what the real run lacks. linux-blob is saved by the guest kernels
 * themselves (the kernel saver); lusim-v1, which no kernel writes, by their profiles over qtest.
 */
export function realCycleRun(t: PlannedTest): RealCycleRun | { readonly why: string } {
  const c = t.case.cycle!;
  const modelOnly = (what: string) => ({ why: `model only: ${what}; the real cycle (kexec/real-cycle.ts) runs the plain flow with kernel A's driver bound, no reset, a memmap= range` });
  if (c.flow !== undefined && c.flow !== 'plain') return modelOnly(`flow ${c.flow}`);
  if (c.reset) return modelOnly(`a ${c.reset} reset in the kexec window`);
  if (c.handover === 'luo') return modelOnly('handover luo (Debian\'s kernels build no KEXEC_HANDOVER)');
  if (c.operational === 'enumerated') return modelOnly('operational: enumerated (kernel A\'s driver is bound on a real boot)');
  const format = c.format ?? 'linux-blob';
  const saver: Saver = format === 'linux-blob' ? 'kernel' : 'host';
  // kexec/real-cycle.ts checkSaver: a drift edits the blob kernel A's own pci_store_saved_state wrote.
  if (c.drift && saver !== 'kernel') return modelOnly(`drift with format ${format} (a real drift edits the linux-blob kernel A stored)`);
  return { from: t.from!, to: t.to!, format, saver, drift: c.drift ?? '' };
}

export type Boot =
  | { readonly kind: 'reset'; readonly key: string; readonly kernel: string; readonly devices: Set<string> }
  | { readonly kind: 'cycle'; readonly key: string; readonly run: RealCycleRun; readonly devices: Set<string> };

export type BootOutcome =
  | { readonly kind: 'reset'; readonly report: LiveResetMethodsReport }
  | { readonly kind: 'cycle'; readonly report: RealCycleReport }
  | { readonly kind: 'failed'; readonly error: string };

/** What booted, for the run's log and the tests (how few boots served the suite). */
export interface BootRecord {
  readonly key: string;
  readonly devices: readonly string[];
  readonly startMs: number;
  readonly endMs: number;
  readonly ok: boolean;
}

export const resetBootKey = (kernel: string) => `reset ${kernel}`;
export const cycleBootKey = (r: RealCycleRun) => `cycle ${r.from} -> ${r.to} ${r.format}${r.drift ? ` drift ${r.drift}` : ''}`;

/** The boot each test needs (undefined: the test runs on the model only) and the boots, in plan order. */
export function planBoots(tests: readonly PlannedTest[]): { boots: Boot[]; byTest: Map<string, string> } {
  const boots = new Map<string, Boot>();
  const byTest = new Map<string, string>();
  for (const t of tests) {
    const device = realDevice(t);
    if (!device) continue;
    let boot: Boot;
    if (t.case.cycle) {
      const run = realCycleRun(t);
      if ('why' in run) continue;
      const key = cycleBootKey(run);
      boot = boots.get(key) ?? { kind: 'cycle', key, run, devices: new Set() };
    } else {
      const key = resetBootKey(t.kernel);
      boot = boots.get(key) ?? { kind: 'reset', key, kernel: t.kernel, devices: new Set() };
    }
    boot.devices.add(device);
    boots.set(boot.key, boot);
    byTest.set(t.id, boot.key);
  }
  return { boots: [...boots.values()], byTest };
}

/** Run the boots `jobs` at a time. A boot that fails fails its tests, not the run. */
export async function runBoots(boots: readonly Boot[], jobs: number, log: (m: string) => void): Promise<{ outcomes: Map<string, BootOutcome>; records: BootRecord[] }> {
  const queue = [...boots];
  const outcomes = new Map<string, BootOutcome>();
  const records: BootRecord[] = [];
  const t0 = performance.now();
  const worker = async () => {
    for (let b = queue.shift(); b; b = queue.shift()) {
      const devices = [...b.devices];
      const startMs = performance.now() - t0;
      log(`booting ${b.key} with ${devices.join(', ')}`);
      const outcome = await runBoot(b, devices, (m) => log(`${b.key}: ${m}`));
      outcomes.set(b.key, outcome);
      records.push({ key: b.key, devices, startMs: Math.round(startMs), endMs: Math.round(performance.now() - t0), ok: outcome.kind !== 'failed' });
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, worker));
  return { outcomes, records: records.sort((a, b) => a.startMs - b.startMs) };
}

async function runBoot(b: Boot, devices: string[], progress: (m: string) => void): Promise<BootOutcome> {
  const endpoints = parseRealDevices(devices.join(','));
  if (b.kind === 'cycle') {
    const r = b.run;
    const report = await runRealCycle({ endpoints, from: r.from, to: r.to, format: r.format, saver: r.saver, drift: r.drift ? parseDrift(r.drift) : [], fetch: false, progress });
    return report.ok ? { kind: 'cycle', report } : { kind: 'failed', error: `the real cycle ${r.from} -> ${r.to} failed in phase "${report.error?.phase}": ${report.error?.message}` };
  }
  try {
    return { kind: 'reset', report: await runResetMethodsLive({ endpoints, kernel: b.kernel, fetch: false, progress }) };
  } catch (e) {
    return { kind: 'failed', error: `the real boot of ${b.kernel} failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

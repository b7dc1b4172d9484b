/**
 * `lusim cycle --qemu`: the real cycle (kexec/run/real-cycle.ts) from the `cycle` command. The lead's
 * cli/commands/cycle.ts adds the options with registerQemuOptions(command) and, when `--qemu` is
 * given, hands over to runQemuCycleCommand(deviceArg, opts) before the model path.
 *
 * The report is printed (text or --json) on success and on failure; a failed run keeps every
 * result gathered before the failure, sets the exit code to 1, and with --out also lands in a file.
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { SaveFormat } from '../../sim/cycle/carry.js';
import { SAVE_FORMATS } from '../../sim/cycle/carry.js';
import { REAL_DEVICE_NAMES, parseRealDevices } from '../../kexec/topology/real-devices.js';
import type { RealCycleReport } from '../../kexec/run/real-cycle-report.js';
import { parseDrift } from '../../sim/linux/drift.js';
import { CliError, EXIT_FAILURE, printJson } from '../errors.js';
import { registerTopologyOptions, renderAccelerator, renderDrivers, topologyOf, type TopologyCliOptions } from '../args/qemu-topology.js';
import { checkProfileId } from '../args/kernel.js';
import { log } from '../log.js';
import { checkOutPath, prepareOutDir, writeOut } from '../args/out-file.js';
import { interruptedBy } from '../../kexec/process/cleanup.js';
import { parseSeries } from '../../kexec/kernels/kernels.js';
import { isKernelPath } from '../../kexec/kernels/user-kernel.js';

export interface QemuCycleCliOptions {
  qemu?: boolean;
  from: string;
  to: string;
  format: string;
  device?: string;
  json?: boolean;
  fetch?: boolean;
  bootTimeout?: string;
  out?: string;
  saver?: string;
  drift?: string;
  timeline?: boolean;
  profileA?: string;
  profileB?: string;
  modulesA?: string;
  modulesB?: string;
  snapshots?: string;
  consoleLog?: string;
}

export type QemuCycleOptions = QemuCycleCliOptions & TopologyCliOptions;

/** Options only `--qemu` uses (`--from/--to/--format/--device/--json` are the cycle command's own). */
export function registerQemuOptions(cmd: Command): Command {
  return registerTopologyOptions(cmd)
    .option('--qemu', `run the cycle on real Debian kernels in QEMU (devices: ${REAL_DEVICE_NAMES.join(', ')}, comma-separated, as DEVICE or --device); --from/--to take a series (6.1, 6.12, 7.x) or a profile id`)
    .option('--no-fetch', 'with --qemu: fail instead of fetching kernels that are not cached')
    .option('--boot-timeout <seconds>', 'with --qemu: how long each kernel may take to bring its agent up', '90')
    .option('--out <file>', 'with --qemu: also write the JSON report (partial on failure) to this file')
    .option('--console-log <file>', 'with --qemu: write the guest\'s serial console (kernel A\'s boot, the kexec, kernel B\'s boot) to this file')
    .option('--snapshots <dir>', 'with --qemu: start from a snapshot of boot A kept here when one matches the devices and kernels, else boot cold and keep one (nvme cannot be migrated by QEMU 7.2: it boots cold)')
    .addOption(new Option('--saver <who>', 'with --qemu: who saves and restores: kernel (the guest kernels, through lusim\'s module; linux-blob only) or host (their profiles over qtest)').choices(['kernel', 'host']).default('kernel'));
}

const MAX_BOOT_TIMEOUT_S = 3600;

function seconds(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  // Bounded: a TCG boot takes 10-60 s here; setTimeout cannot wait more than 2^31-1 ms anyway.
  if (!Number.isFinite(n) || n < 1 || n > MAX_BOOT_TIMEOUT_S) throw new CliError('bad-option', `--boot-timeout "${v}" must be a number of seconds from 1 to ${MAX_BOOT_TIMEOUT_S}`, { value: v });
  return Math.round(n * 1000);
}

/** --console-log's file, absolute (QEMU opens it), checked before any boot. */
function consoleLogPath(path: string): string {
  checkOutPath(path, '--console-log', 'console.log');
  // QEMU's -chardev parser splits at commas (kexec/qemu/launcher.ts buildQemuArgs refuses them too).
  if (path.includes(',')) throw new CliError('bad-option', `--console-log ${path}: QEMU cannot take a file name with a comma; choose another name`, { path });
  return resolve(path);
}

export async function runQemuCycleCommand(deviceArg: string, opts: QemuCycleOptions): Promise<void> {
  if (!(SAVE_FORMATS as readonly string[]).includes(opts.format)) throw new CliError('bad-option', `unknown format "${opts.format}": use ${SAVE_FORMATS.join(', ')}`, { value: opts.format });
  const topology = topologyOf(opts);
  const endpoints = topology ? [] : parseRealDevices(opts.device ?? deviceArg);
  // A series that does not exist is the command line's mistake: a usage error, before any boot.
  for (const k of [opts.from, opts.to]) if (!isKernelPath(k)) parseSeries(k);
  // Only a user's build reads them (resolveKernels): a Debian kernel comes with its own modules in the cache.
  for (const [option, dir, spec, side] of [['--modules-a', opts.modulesA, opts.from, '--from'], ['--modules-b', opts.modulesB, opts.to, '--to']] as const) {
    if (dir !== undefined && !isKernelPath(spec)) throw new CliError('bad-option', `${option} goes with a kernel you built in ${side}; "${spec}" is a Debian kernel, whose modules lusim fetches with it: drop ${option}`, { value: dir });
  }
  const bootTimeoutMs = seconds(opts.bootTimeout);
  if (opts.out) checkOutPath(opts.out);
  const consoleLog = opts.consoleLog === undefined ? undefined : consoleLogPath(opts.consoleLog);
  const saver = opts.saver === 'host' ? 'host' : 'kernel';
  if (saver === 'kernel' && opts.format !== 'linux-blob') throw new CliError('bad-option', `--saver kernel carries the guest kernel's own pci_store_saved_state blob: use --format linux-blob, or --saver host for ${opts.format}`, { value: opts.format });
  const drift = opts.drift ? parseDrift(opts.drift) : [];
  // A restored guest's trace starts at the restore: no firmware or boot-A writes to split.
  if (opts.snapshots) prepareOutDir(opts.snapshots, '--snapshots');
  if (opts.snapshots && opts.timeline) throw new CliError('bad-option', '--timeline traces every config write from the firmware on, which a boot A restored from --snapshots never ran: drop one of them', {});
  if (drift.length > 0 && saver !== 'kernel') throw new CliError('bad-option', '--drift with --qemu edits the blob kernel A stored: it needs --saver kernel', {});
  // Loaded on use: the real run's modules are most of lusim's start-up time (bin/lusim.js).
  const { runRealCycle } = await import('../../kexec/run/real-cycle.js');
  const user = {
    ...(opts.modulesA ? { modulesA: opts.modulesA } : {}), ...(opts.modulesB ? { modulesB: opts.modulesB } : {}),
    ...(opts.profileA ? { profileA: checkProfileId(opts.profileA, 'profile (--profile-a)') } : {}), ...(opts.profileB ? { profileB: checkProfileId(opts.profileB, 'profile (--profile-b)') } : {}),
  };
  const report = await runRealCycle({
    endpoints, ...(topology ? { topology } : {}), from: opts.from, to: opts.to, user, format: opts.format as SaveFormat, saver, drift, ...(opts.timeline ? { writeTrace: true } : {}),
    ...(opts.snapshots ? { snapshotDir: opts.snapshots } : {}),
    ...(consoleLog ? { consoleLog } : {}),
    fetch: opts.fetch !== false,
    progress: (m) => log.info(`cycle --qemu: ${m}`),
    ...(bootTimeoutMs ? { bootTimeoutMs, kexecTimeoutMs: bootTimeoutMs } : {}),
  });
  // SIGINT/SIGTERM stopped QEMU (kexec/process/cleanup.ts): the report is partial, say why.
  const interrupted = interruptedBy();
  if (interrupted) {
    report.ok = false;
    report.error = { code: 'interrupted', message: `interrupted by ${interrupted.signal}${report.error ? ` (the run stopped: ${report.error.message.split('\n')[0]})` : ''}`, phase: report.error?.phase ?? 'end' };
  }
  const written = opts.out ? writeOut(opts.out, `${JSON.stringify(report, null, 2)}\n`) : { ok: true as const };
  if (opts.json || !written.ok) printJson(report);
  if (!written.ok) {
    process.stderr.write(`lusim: ${written.message}; the JSON report is on stdout instead\n`);
    process.exitCode = EXIT_FAILURE;
  }
  if (!opts.json) process.stdout.write(renderRealCycle(report));
  if (!report.ok) {
    process.stderr.write(`lusim: the real cycle failed in phase "${report.error?.phase}": ${report.error?.message}\n`);
    process.exitCode = interrupted?.exitCode ?? EXIT_FAILURE;
  }
}

const hex = (v: number, w = 4) => `0x${v.toString(16).padStart(w, '0')}`;

const entries = (e: readonly { capNr: number; extended: boolean; size: number }[]) => e.map((x) => `${x.extended ? 'ext' : 'std'} ${hex(x.capNr, 2)} (${x.size})`).join(', ') || 'none';

function renderKernelSaver(k: NonNullable<RealCycleReport['devices'][number]['kernel']>): string[] {
  const { save, load } = k;
  const out = [`    kernel A stored ${save.real.size} bytes: ${entries(save.real.entries)}; the model stores ${save.model ? `${save.model.size} bytes: ${entries(save.model.entries)}` : 'nothing'}; ${save.differences.length} bytes differ`];
  for (const d of save.differences) out.push(`      blob byte ${d.offset} (${d.where} ${d.register}): real ${hex(d.real, 2)}, model ${hex(d.model, 2)} [${d.why}]`);
  if (save.carried) out.push(`    drifted blob carried: ${save.carried.size} bytes`);
  out.push(`    kernel B: state_saved ${load.stateSavedBefore ? 1 : 0} before the load; pci_load_saved_state returned ${load.ret} (model ${load.model.ret}); copied ${load.copied.join(', ')}${load.refusedAt ? `; refused at ${load.refusedAt}` : ''}`);
  out.push(`    restored state vs the model's prediction: ${k.restoredVsPredicted.length === 0 ? 'agree' : `${k.restoredVsPredicted.length} registers differ`}`);
  for (const d of k.restoredVsPredicted) out.push(`      ${d.register} @${hex(d.offset, 3)}: model ${hex(d.predicted, d.width * 2)}, real ${hex(d.real, d.width * 2)}`);
  return out;
}

function renderTrace(t: NonNullable<RealCycleReport['writeTrace']>): string[] {
  const split = t.split.kexec && t.split.bootB ? `kernel A's shutdown apart from B's boot (guest markers: ${t.split.modules} module loads, the kexec; B's first write)` : 'kernel A\'s shutdown and B\'s boot as one phase, boot B (no guest kexec marker or no write by B after it)';
  const out = [`  QEMU's write trace: ${t.writes} config writes; phases: ${split}`];
  for (const p of t.perPhase) out.push(`    ${p.phase.padEnd(22)} ${p.bdf} ${p.model.padEnd(16)} ${p.count} writes`);
  for (const d of t.betweenSaveAndRestore) out.push(`  writes to ${d.id} between A's save and B's restore: ${d.writes.length === 0 ? 'none' : d.writes.map((w) => `[${w.step}] @${hex(w.offset, 3)}<-${hex(w.value, 1)}`).join(', ')}`);
  if (t.comparison) {
    const c = t.comparison;
    out.push(`  model vs QEMU's trace (carried devices, config writes): ${c.matched.length} matched, ${c.onlyReal.length} only in reality, ${c.onlyModel.length} only in the model: agreement ${(c.agreement * 100).toFixed(1)}%`);
    for (const g of c.groups) out.push(`    ${g.phase.padEnd(10)} ${g.device}: ${g.matched} matched, ${g.onlyReal} only real, ${g.onlyModel} only model`);
    const w = (x: { phase: string; device: string; offset: number; value: number; fn: string | null }) => `[${x.phase} ${x.device}] @${hex(x.offset, 3)} <- ${hex(x.value, 1)}${x.fn ? ` (${x.fn})` : ''}`;
    for (const x of c.onlyReal) out.push(`    only real:  ${w(x)}`);
    for (const x of c.onlyModel) out.push(`    only model: ${w(x)}`);
  }
  out.push('  timeline of the carried devices:');
  for (const w of t.timeline) out.push(`    ${w.step.padEnd(22)} ${w.device} @${hex(w.offset, 3)} <- ${hex(w.value, 1)}`);
  return out;
}

export function renderRealCycle(r: RealCycleReport): string {
  const out: string[] = [];
  const k = r.kernels;
  out.push(`Real cycle: ${r.options.devices.join(', ')}${r.options.topology ? '' : ' behind root ports'}, ${k ? `${k.from.release} (${k.from.profile}) -> ${k.to.release} (${k.to.profile})` : `${r.options.from} -> ${r.options.to}`}, ${r.options.format}, saved by the ${r.options.saver === 'kernel' ? 'guest kernels' : 'host'}${r.options.drift.length ? `, drift ${r.options.drift.join('; ')}` : ''}: ${r.ok ? 'completed' : `FAILED in ${r.error?.phase}`} in ${(r.totalMs / 1000).toFixed(1)} s`);
  if (k) for (const [side, kk] of [['A', k.from], ['B', k.to]] as const) {
    if (kk.build) out.push(`  kernel ${side} ${kk.build.spec}: profile ${kk.profile} (${kk.build.why})${kk.build.warnings.map((w) => `; warning: ${w}`).join('')}`);
    out.push(`  kconfig ${side} (${kk.release} config): ${kk.kconfig.map((u) => `${u.option.replace('CONFIG_', '')}=${u.value}`).join(' ')}`);
  }
  if (r.accelerator) out.push(`  accelerator: ${renderAccelerator(r.accelerator)}`);
  if (r.bootA && r.bootA !== 'cold') out.push(`  boot A: ${r.bootA}`);
  out.push(`  phases: ${r.phases.map((p) => `${p.name} ${p.ms} ms`).join(', ')}`);
  if (r.drivers) out.push(...renderDrivers(r.drivers));
  for (const [name, c] of Object.entries(r.captures)) {
    if (!c) continue;
    out.push(`  capture ${name}: ${c.functions.map((f) => `${f.id} ${f.bdf} ${f.driver ?? '-'} CMD=${hex(f.command)}${f.msixEnabled === null ? '' : ` MSI-X ${f.msixEnabled ? 'on' : 'off'}${f.msixUnmasked === null ? '' : `/${f.msixUnmasked} unmasked`}`}`).join('; ')}`);
  }
  if (r.handover) {
    const s = r.handover.survived;
    out.push(`  handover: ${r.handover.bytes} bytes at ${hex(r.handover.base, 8)}${s ? (s.intact ? ', survived the kexec byte for byte' : `, OVERWRITTEN: ${s.differing} bytes differ`) : ''}`);
  }
  for (const f of r.fidelity) {
    out.push(`  model vs real, ${f.point}, ${f.id} (${f.driverA ?? '-'} -> ${f.driverB ?? '-'}): ${f.diffs.length === 0 ? `agree (${f.changed} registers changed)` : `${f.diffs.length} registers differ`}`);
    for (const d of f.diffs) out.push(`      ${d.register} @${hex(d.offset, 3)}: before ${hex(d.captured, d.width * 2)}, model ${hex(d.predicted, d.width * 2)}, real ${hex(d.real, d.width * 2)}`);
  }
  for (const d of r.devices) {
    out.push(`  ${d.id} ${d.bdf}: save ret ${d.save?.ret}, ${d.save?.carriedBytes ?? 'no'} bytes carried; load ret ${d.load?.ret}${d.load?.error ? ` (${d.load.error})` : ''}; ${d.restoreWrites} restore writes`);
    if (d.counts) out.push(`    verdicts: ${Object.entries(d.counts).filter(([v, n]) => v !== 'unchanged' && n > 0).map(([v, n]) => `${n} ${v}`).join(', ') || 'every field unchanged'}`);
    for (const f of d.fields ?? []) out.push(`      ${f.verdict.padEnd(9)} ${f.register}.${f.field} ${f.before} -> ${f.mid} -> ${f.after}: ${f.rule}`);
    for (const m of d.modelDifferences ?? []) out.push(`    model's cycle differs: ${m.register}.${m.field} model ${m.model.after} (${m.model.verdict}), real ${m.real.after} (${m.real.verdict})`);
    if (d.kernel) out.push(...renderKernelSaver(d.kernel));
  }
  if (r.writeTrace) out.push(...renderTrace(r.writeTrace));
  if (r.error) out.push(`  error (${r.error.code}): ${r.error.message}`);
  return `${out.join('\n')}\n`;
}

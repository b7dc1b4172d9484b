/**
 * `lusim fuzz`: capability-layout fuzzing (issue 10). Generates devices, kernel pairs, formats,
 * flows, layout drifts and resets (sim/fuzz), runs each case's simulated cycle on --jobs threads
 * (the main thread and workers: cli/fuzz/pool.ts), judges it with the named oracles, deduplicates findings by
 * signature, shrinks each to a minimal case and, with --corpus, saves it as an lspci dump plus a
 * JSON record holding the `lusim cycle` command that shows it again.
 * With --qemu N, N sampled QEMU layouts then run for real (cli/fuzz/qemu.ts, oracle qemu).
 * Exit 1 when an oracle that must hold failed (identity, lusim-v1, typed-errors, time-bound,
 * personality, qemu), 0 when only linux-blob hazards were found, 2 for usage errors, else 130 or
 * 143 when SIGINT or SIGTERM stopped the run (it still reports: cli/fuzz/interrupt.ts).
 */
import { join } from 'node:path';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { Command, Option } from 'commander';
import { buildFunction } from '../../devices/device.js';
import { formatLspci } from '../../devices/dump/lspci.js';
import type { DumpDevice } from '../../devices/dump/types.js';
import { SAVE_FORMATS, type SaveFormat } from '../../sim/cycle/carry.js';
import { FLOWS, type Flow } from '../../sim/cycle/run.js';
import type { CampaignConfig } from '../../sim/fuzz/campaign.js';
import { corpusEntry, type CorpusRecord } from '../../sim/fuzz/corpus.js';
import { droppableCapabilities } from '../../sim/fuzz/device.js';
import { runMalformed } from '../../sim/fuzz/malformed.js';
import { ORACLES, type OracleName } from '../../sim/fuzz/oracles.js';
import { qemuProfileFor } from '../../sim/fuzz/personality.js';
import { qemuSamples, realKernelsFor, REAL_KERNELS, type QemuSample } from '../../sim/fuzz/qemu-sample.js';
import { qemuCorpusRecord, realSampleRunner, renderQemuRun, runQemuSamples } from '../fuzz/qemu.js';
import { shrinkQemuFindings } from '../fuzz/qemu-shrink.js';
import { signatureId } from '../../sim/fuzz/signature.js';
import { countByClass, mustHoldFailed, type FirstSeen } from '../../sim/fuzz/shard.js';
import { orderedChanges } from '../../sim/fuzz/changes.js';
import { parseDrift } from '../../sim/linux/drift.js';
import { partialCapture } from '../../sim/partial-capture.js';
import { KERNEL_PROFILE_IDS } from '../../sim/linux/profiles.js';
import { action, printJson } from '../errors.js';
import { CliError, parseFormatOption, pickDevices, readDumpFile } from '../input.js';
import { signalExitCode } from '../../kexec/process/cleanup.js';
import { catchInterrupt, type Interrupt } from '../fuzz/interrupt.js';
import { replayCorpus } from '../fuzz/replay.js';
import { runCampaign } from '../fuzz/pool.js';
import { renderFuzzSummary } from '../render/fuzz-text.js';
import { prepareOutDir, writeOut } from '../out-file.js';

interface FuzzCliOptions {
  seed?: string; runs?: string; time?: string; jobs: string; kernels?: string; from?: string; to?: string; formats?: string; flows?: string; oracle?: string;
  fromDump?: string; inputFormat?: string; device?: string; json?: boolean; corpus?: string; campaign: 'semantic' | 'malformed'; shrink: boolean;
  shrinkBudget: string; timeBound: string; plant?: string; qemu?: string; qemuShrinkBudget: string; replay?: string;
}

/** A value or combination the command cannot take: one line, exit 2 (with --json, as JSON too). */
function usage(message: string): never {
  throw new CliError('bad-option', message, {});
}

function list<T extends string>(value: string | undefined, allowed: readonly T[], what: string, option = `--${what}`): readonly T[] {
  if (value === undefined) return allowed;
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const i of items) if (!(allowed as readonly string[]).includes(i)) usage(`unknown ${what} "${i}": use ${allowed.join(', ')}`);
  if (!items.length) usage(`${option} needs at least one of ${allowed.join(', ')}`);
  return items as T[];
}

function count(value: string, what: string, min = 1): number {
  if (!/^\d+$/.test(value) || Number(value) < min) usage(`${what} must be a whole number >= ${min}, got "${value}"`);
  return Number(value);
}

/** "60s", "2m", "500ms", or plain seconds. */
function duration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
  if (!m) usage(`--time "${value}" not understood: use e.g. 30s, 2m or 500ms`);
  const n = Number(m![1]);
  if (n === 0) usage(`--time must be longer than 0, got "${value}"`);
  return m![2] === 'ms' ? n : m![2] === 'm' ? n * 60_000 : n * 1000;
}

function progressLine(cycles: number, firsts: readonly FirstSeen[], started: number): string {
  const s = (Date.now() - started) / 1000;
  const classes = Object.entries(countByClass(firsts)).map(([k, n]) => `${k} ${n}`).join(', ');
  return `  ${cycles} cycles, ${(cycles / Math.max(s, 0.001)).toFixed(0)}/s, findings: ${classes || 'none'}`;
}

/**
 * A partial seed (lspci -x, -xxx, a lost row) is fuzzed as a whole dump with the bytes it lacks
 * read as 0 (sim/fuzz/device.ts materialize): say so, since its capabilities there never appear.
 */
function notePartialSeed(file: string, seed: DumpDevice): void {
  const partial = partialCapture(buildFunction(seed));
  if (partial) process.stderr.write(`lusim: note: ${file}: ${partial}. The fuzzed devices take the bytes it lacks as 0, so capabilities there are in no case; capture all of it as root (lspci -xxxx, or lusim capture)\n`);
}

export function register(program: Command): void {
  const cmd = program
    .command('fuzz')
    .description('fuzz capability layouts, kernel pairs, formats, flows and kernel B drifts (data[] layouts; buffers dropped, reordered or gained with another kernel\'s code: caps:+L1SS) against the oracles; shrink and save every distinct finding; --qemu N also runs sampled QEMU layouts for real')
    .option('--seed <n>', 'campaign seed (default: random, printed in the summary); the same seed gives the same findings')
    .option('--runs <n>', 'cases to run, each a generated device and kernel A under 1-16 cycles (default 500)')
    .option('--time <duration>', 'run for this long instead (30s, 2m); findings then depend on speed')
    .option('--jobs <n>', 'threads running cases (the main thread and n - 1 workers); with --qemu, also real samples run at a time', '1')
    .option('--kernels <list>', `kernel profiles to pair (default: all: ${KERNEL_PROFILE_IDS.join(',')})`)
    .option('--from <list>', 'kernel A\'s profiles only (default: --kernels)')
    .option('--to <list>', 'kernel B\'s profiles only (default: --kernels, a third of the cycles restoring with kernel A itself); --from 6.12 --to 7.1 fuzzes that one upgrade')
    .option('--formats <list>', `formats (default: ${SAVE_FORMATS.join(',')})`)
    .option('--flows <list>', `flows (default: ${FLOWS.join(',')})`)
    .option('--oracle <list>', `oracles to apply (default: ${ORACLES.join(',')}); personality compares the spec and QEMU 7.2 device profiles and applies only with --from-dump of a QEMU device`)
    .option('--from-dump <file>', 'mutate around a real device: unlink its capabilities, rewrite its registers')
    .option('--input-format <format>', 'format of --from-dump: lspci, raw or json (default: detected)')
    .option('-d, --device <bdf>', 'the function of --from-dump, for a dump holding several')
    .addOption(new Option('--campaign <kind>', 'semantic (the cycle oracles) or malformed (walker and loaders on broken layouts: typed errors only)').choices(['semantic', 'malformed']).default('semantic'))
    .option('--corpus <dir>', 'save each shrunk finding as DIR/ID.lspci + DIR/ID.json (with its lusim cycle command)')
    .option('--replay <dir>', 'run every record of an earlier --corpus DIR again under today\'s model and say which findings still show (with --from-dump FILE for records found around one; exit 1 when a must-hold oracle fails)')
    .option('--no-shrink', 'report first cases (and first --qemu samples) as found, unshrunk')
    .option('--shrink-budget <n>', 'cycles one shrink may spend', '100')
    .option('--time-bound <ms>', 'time-bound oracle: the longest a cycle may take', '2000')
    .option('--qemu <n>', 'also run N layouts QEMU 7.2 realizes by device properties (aer, ats, MSI-X vectors, x-pcie-* flags, multifunction, port types) for real, each a `lusim cycle --qemu` (10-25 s under TCG), and compare every phase with the model (oracle qemu); kernels from --kernels among 6.1.y, 6.12.y, 7.2, 7.3 (cached: `lusim kernels fetch`)')
    .option('--qemu-shrink-budget <n>', 'simpler samples one --qemu finding\'s shrink may run for real (one branch, function, switch or property fewer)', '12')
    .option('--plant <drift>', 'self-test: kernel B silently carries this drift (e.g. "pcie:swap(DEVCTL,LNKCTL)"); the identity oracle must catch it')
    .option('--json', 'machine-readable summary');
  cmd.action(action(async (opts: FuzzCliOptions) => {
    if (opts.runs !== undefined && opts.time !== undefined) usage('give --runs or --time, not both');
    if (opts.replay !== undefined) {
      const clash = [['--runs', opts.runs], ['--time', opts.time], ['--qemu', opts.qemu], ['--plant', opts.plant], ['--corpus', opts.corpus]].find(([, v]) => v !== undefined);
      if (clash) usage(`--replay runs the records of a corpus: leave out ${clash[0]}`);
      if (opts.campaign === 'malformed') usage('--replay runs the semantic campaign\'s records: leave out --campaign malformed');
    }
    const seed = opts.seed !== undefined ? count(opts.seed, '--seed', 0) : Math.floor(Math.random() * 0x7fffffff);
    const jobs = count(opts.jobs, '--jobs');
    const runs = opts.time === undefined ? count(opts.runs ?? '500', '--runs') : undefined;
    const timeMs = opts.time !== undefined ? duration(opts.time) : undefined;
    const deadline = timeMs !== undefined ? Date.now() + timeMs : undefined;
    const seedDump = opts.fromDump ? pickDevices(readDumpFile(opts.fromDump, { format: parseFormatOption(opts.inputFormat), formatOption: '--input-format' }), opts.device) : undefined;
    if (seedDump && seedDump.length !== 1) usage(`${opts.fromDump} holds ${seedDump.length} functions; pick one with --device`);
    if (seedDump) notePartialSeed(opts.fromDump!, seedDump[0]!);
    const config: CampaignConfig = {
      seed, kernels: list(opts.kernels, KERNEL_PROFILE_IDS, 'kernels'), formats: list<SaveFormat>(opts.formats, SAVE_FORMATS, 'formats'),
      ...(opts.from !== undefined ? { from: list(opts.from, KERNEL_PROFILE_IDS, 'kernel (--from)', '--from') } : {}), ...(opts.to !== undefined ? { to: list(opts.to, KERNEL_PROFILE_IDS, 'kernel (--to)', '--to') } : {}),
      flows: list<Flow>(opts.flows, FLOWS, 'flows'), oracles: list<OracleName>(opts.oracle, ORACLES, 'oracle'),
      shrinkBudget: count(opts.shrinkBudget, '--shrink-budget', 0), timeBoundMs: count(opts.timeBound, '--time-bound'),
      ...(seedDump ? { seedDump: seedDump[0], seedDroppable: droppableCapabilities(seedDump[0]) } : {}),
    };
    // The personality oracle needs a device both personalities model (sim/fuzz/personality.ts).
    const personality = config.seedDump ? qemuProfileFor(config.seedDump)?.name : undefined;
    if (opts.oracle !== undefined && config.oracles.includes('personality') && !personality) {
      process.stderr.write(`lusim: note: the personality oracle applies only with --from-dump of a QEMU 7.2 device (${opts.fromDump ? `${opts.fromDump} has no QEMU profile` : 'generated devices carry synthetic IDs'}): it checks nothing here\n`);
    }
    if (opts.plant !== undefined) {
      try { parseDrift(opts.plant); } catch (e) { usage(`--plant: ${(e as Error).message}`); }
    }
    if (opts.plant) Object.assign(config, { plantedDrift: opts.plant });
    const qemuCount = opts.qemu !== undefined ? count(opts.qemu, '--qemu') : 0;
    const qemuShrinkBudget = count(opts.qemuShrinkBudget, '--qemu-shrink-budget', 0);
    const qemuKernels = realKernelsFor(opts.kernels !== undefined ? config.kernels : undefined);
    if (qemuCount && !qemuKernels.length) usage(`--qemu runs Debian kernels: --kernels must include one of ${REAL_KERNELS.map((k) => k.profile).join(', ')}`);
    if (opts.oracle !== undefined && config.oracles.includes('qemu') && !qemuCount) process.stderr.write('lusim: note: the qemu oracle judges real samples: add --qemu N to run N of them\n');
    if (qemuCount && opts.campaign === 'malformed') usage('--qemu samples the semantic campaign\'s layouts: leave out --campaign malformed');
    const samples = qemuCount && config.oracles.includes('qemu') ? qemuSamples(seed, qemuCount, qemuKernels) : [];
    // Samples never install or fetch: say up front, before the campaign, what they need and lack.
    if (samples.length) {
      const { qemuMissing } = await import('../../kexec/launcher.js');
      const why = qemuMissing();
      if (why) usage(`--qemu: ${why}`);
    }
    const missing = await uncachedKernels(samples);
    if (missing.length) usage(`--qemu: the ${samples.length} samples boot kernel${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, not in the cache: run \`lusim kernels fetch ${missing.join(' ')} --module\`, or narrow --kernels`);
    if (opts.corpus) prepareOutDir(opts.corpus, '--corpus');
    const started = Date.now();
    const tty = process.stderr.isTTY;
    const interrupt = catchInterrupt((line) => process.stderr.write(`${tty ? '\n' : ''}${line}\n`));
    if (opts.replay !== undefined) return replayCorpus(opts.replay, config, { json: opts.json === true, interrupt });
    if (opts.campaign === 'malformed') return malformedCampaign(config, runs, deadline, interrupt, started, opts.json === true, opts.corpus);
    let lastPrint = 0;
    const run = await runCampaign(config, {
      jobs, shrink: opts.shrink, ...(runs !== undefined ? { runs } : {}), stop: interrupt.signal,
      // --time bounds shrinking too: as long again as the campaign, then findings keep their first case.
      ...(deadline !== undefined && timeMs !== undefined ? { deadline, shrinkDeadline: deadline + timeMs } : {}),
      onProgress: (cycles, firsts) => {
        const now = Date.now();
        if (now - lastPrint < (tty ? 250 : 5000)) return;
        lastPrint = now;
        process.stderr.write(tty ? `\r${progressLine(cycles, firsts, started)}\x1b[K` : `${progressLine(cycles, firsts, started)}\n`);
      },
      onShrink: (done, total) => { if (tty) process.stderr.write(`\r  shrinking ${done}/${total}\x1b[K`); },
    });
    if (tty) process.stderr.write(`\r${progressLine(run.cycles, run.firsts, started)}\x1b[K\n`);
    const seconds = (Date.now() - started) / 1000;
    const records: CorpusRecord[] = [];
    for (const { first, shrunk: found } of run.shrunk) {
      // A planted drift is part of what the reproducer must run (lusim cycle shows it as a drift).
      const shrunk = opts.plant ? { ...found, case: { ...found.case, drift: [found.case.drift, opts.plant].filter(Boolean).join(';') } } : found;
      const entry = corpusEntry(shrunk, { seed, caseIndex: first.index, caseCycle: first.cycle, ...(config.seedDump ? { seedDump: config.seedDump } : {}) }, (id) => join(opts.corpus ?? '.', `${id}.lspci`));
      records.push(entry.record);
      if (opts.corpus) {
        saveCorpusFile(join(opts.corpus, `${entry.record.id}.lspci`), entry.lspci);
        saveCorpusFile(join(opts.corpus, `${entry.record.id}.json`), `${JSON.stringify(entry.record, null, 2)}\n`);
      }
    }
    // The corpus is written. Real samples run QEMU, which the terminal's Ctrl-C reaches too: from
    // here a signal is the real run's (kexec/process/cleanup.ts: QEMU stopped, a partial report).
    interrupt.release();
    const stoppedBy = interrupt.received();
    const say = (line: string) => process.stderr.write(`${line}\n`);
    if (stoppedBy && samples.length) say(`lusim fuzz: ${stoppedBy}: the ${samples.length} --qemu samples were not run`);
    const sampled = samples.length && !stoppedBy ? await runQemuSamples(samples, say, jobs) : undefined;
    const qemu = sampled && opts.shrink && sampled.findings.length && !sampled.interrupted
      ? { ...sampled, findings: await shrinkQemuFindings(sampled.findings, samples, { budget: qemuShrinkBudget, jobs, run: realSampleRunner, progress: say }) }
      : sampled;
    if (qemu && opts.corpus) {
      for (const f of qemu.findings) saveCorpusFile(join(opts.corpus, `${signatureId(f.signature)}.json`), `${JSON.stringify(qemuCorpusRecord(f, samples[f.sample], seed), null, 2)}\n`);
    }
    const qemuClasses = countByClass(qemu?.findings ?? []);
    const failed = mustHoldFailed(run.firsts) || (qemu?.findings.length ?? 0) > 0;
    // A signal during the campaign (interrupt) or during the real samples (kexec/process/cleanup.ts).
    const stopped = stoppedBy ?? qemu?.interrupted;
    const summary = {
      seed, campaign: 'semantic', cases: run.cases, cycles: run.cycles, seconds: run.campaignMs / 1000, shrinkSeconds: seconds - run.campaignMs / 1000, cyclesPerSecond: run.cycles / Math.max(run.campaignMs / 1000, 0.001), jobs,
      kernels: config.kernels, ...(config.from ? { from: config.from } : {}), ...(config.to ? { to: config.to } : {}), formats: config.formats, flows: config.flows, oracles: config.oracles, ...(personality ? { personality } : {}),
      byClass: { ...countByClass(run.firsts), ...qemuClasses }, byChange: orderedChanges(run.changes), failed, ...(stoppedBy ? { interrupted: stoppedBy } : {}), ...(stopped ? { stoppedBy: stopped } : {}),
      findings: opts.shrink ? records : run.firsts,
      ...(qemu ? { qemu: { samples: qemu.samples, completed: qemu.completed, seconds: qemu.ms / 1000, ...(qemu.interrupted ? { interrupted: qemu.interrupted } : {}), findings: qemu.findings } } : {}),
    };
    if (opts.json) printJson(summary);
    else process.stdout.write(renderFuzzSummary(summary, run.firsts, records, opts.corpus) + (qemu ? renderQemuRun(qemu) : ''));
    process.exitCode = failed ? 1 : stopped ? signalExitCode(stopped) : 0;
  }));
}

/**
 * One corpus file. A write that fails after the run (the disk filled up, the directory was
 * removed) is said in one line and the run goes on: the summary still names every finding.
 */
function saveCorpusFile(path: string, text: string): void {
  const written = writeOut(path, text, '--corpus file');
  if (!written.ok) process.stderr.write(`lusim: ${written.message}; the summary below still lists the finding\n`);
}

/** --campaign malformed: single-threaded (one cycle per broken dump); broken dumps saved with --corpus. */
async function malformedCampaign(config: CampaignConfig, runs: number | undefined, deadline: number | undefined, interrupt: Interrupt, started: number, json: boolean, corpus?: string): Promise<void> {
  const tty = process.stderr.isTTY;
  let lastPrint = 0;
  const run = await runMalformed(config, {
    ...(runs !== undefined ? { runs } : {}), between: () => yieldToEvents(),
    stop: () => interrupt.signal.aborted || (deadline !== undefined && Date.now() >= deadline),
    // As the semantic campaign's: in place on a terminal, else a line every 5 s (a CI log).
    onProgress: (cases, found) => {
      const now = Date.now();
      if (now - lastPrint < (tty ? 0 : 5000)) return;
      lastPrint = now;
      process.stderr.write(tty ? `\r  ${cases} broken layouts, ${found} untyped failures\x1b[K` : `  ${cases} broken layouts, ${found} untyped failures\n`);
    },
  });
  if (tty) process.stderr.write('\n');
  const seconds = (Date.now() - started) / 1000;
  const findings = run.findings.map((f) => {
    const file = corpus ? join(corpus, `${signatureId(f.signature)}.lspci`) : undefined;
    if (corpus && file) saveCorpusFile(file, formatLspci([f.dump]));
    const blob = f.blob ? { loader: f.blob.loader, bytes: Buffer.from(f.blob.bytes).toString('hex') } : undefined;
    return { signature: f.signature, oracle: f.oracle, kind: f.kind, detail: f.detail, caseIndex: f.index, ...(blob ? { blob } : { mutation: f.mutation }), ...(file && !blob ? { dump: file, command: `lusim inspect ${file}` } : {}) };
  });
  interrupt.release();
  const failed = findings.length > 0;
  const stoppedBy = interrupt.received();
  if (json) printJson({ seed: config.seed, campaign: 'malformed', cases: run.cases, seconds, failed, ...(stoppedBy ? { interrupted: stoppedBy } : {}), findings });
  else {
    process.stdout.write(`lusim fuzz (malformed): seed ${config.seed}, ${run.cases} broken layouts in ${seconds.toFixed(1)} s (${(run.cases / Math.max(seconds, 0.001)).toFixed(0)}/s): walker, model and loaders answered with typed errors ${failed ? `except in ${findings.length} cases` : 'only'}\n`);
    for (const f of findings) process.stdout.write(`\nFAIL ${f.signature}\n  ${f.detail}\n  first at case ${f.caseIndex} (${JSON.stringify('blob' in f ? f.blob : f.mutation)})${f.command ? `\n  ${f.command}` : ''}\n`);
    if (stoppedBy) process.stdout.write(`\n${stoppedBy} stopped the run after ${run.cases} broken layouts (exit ${failed ? 1 : signalExitCode(stoppedBy)})\n`);
  }
  process.exitCode = failed ? 1 : stoppedBy ? signalExitCode(stoppedBy) : 0;
}

/** The kernel series the samples boot that the cache lacks (kexec/kernels.ts findKernel). */
async function uncachedKernels(samples: readonly QemuSample[]): Promise<string[]> {
  if (!samples.length) return [];
  const { findKernel } = await import('../../kexec/kernels.js');
  return [...new Set(samples.flatMap((s) => [s.from, s.to]))].filter((k) => findKernel(k) === undefined).sort();
}

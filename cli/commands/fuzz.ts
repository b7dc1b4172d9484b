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
import { formatLspci } from '../../devices/dump/lspci.js';
import { SAVE_FORMATS } from '../../sim/cycle/carry.js';
import { FLOWS } from '../../sim/cycle/run.js';
import type { CampaignConfig } from '../../sim/fuzz/campaign.js';
import { corpusEntry, type CorpusRecord } from '../../sim/fuzz/corpus.js';
import { runMalformed } from '../../sim/fuzz/malformed.js';
import { ORACLES } from '../../sim/fuzz/oracles.js';
import { qemuCorpusRecord, realSampleRunner, renderQemuRun, runQemuSamples, type QemuRun } from '../fuzz/qemu.js';
import type { QemuSample } from '../../sim/fuzz/qemu-sample.js';
import { shrinkQemuFindings } from '../fuzz/qemu-shrink.js';
import { signatureId } from '../../sim/fuzz/signature.js';
import { countByClass, mustHoldFailed, type FirstSeen } from '../../sim/fuzz/shard.js';
import { orderedChanges } from '../../sim/fuzz/changes.js';
import { KERNEL_PROFILE_IDS } from '../../sim/linux/profiles.js';
import { action, printJson } from '../errors.js';
import { signalExitCode } from '../../kexec/process/cleanup.js';
import { catchInterrupt, type Interrupt } from '../fuzz/interrupt.js';
import { replayCorpus } from '../fuzz/replay.js';
import { campaignOptions, fuzzScopes, qemuPlan, type FuzzCliOptions } from '../fuzz/options.js';
import { refuseUnread } from '../args/option-scope.js';
import { runCampaign, type CampaignRun } from '../fuzz/pool.js';
import { renderFuzzSummary } from '../render/fuzz-text.js';
import { prepareOutDir, writeOut } from '../args/out-file.js';

function progressLine(cycles: number, firsts: readonly FirstSeen[], started: number): string {
  const s = (Date.now() - started) / 1000;
  const classes = Object.entries(countByClass(firsts)).map(([k, n]) => `${k} ${n}`).join(', ');
  return `  ${cycles} cycles, ${(cycles / Math.max(s, 0.001)).toFixed(0)}/s, findings: ${classes || 'none'}`;
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
    .option('--no-qemu-trace', 'with --qemu: do not compare QEMU\'s trace of every config write with the model\'s (by default each real sample\'s writes are compared write by write per phase and function: findings qemu/trace; the MSI message values, which the guest\'s vector allocator picks, are left out: docs/real-run.md)')
    .option('--qemu-shrink-budget <n>', 'simpler samples one --qemu finding\'s shrink may run for real (one branch, function, switch or property fewer)', '12')
    .option('--plant <drift>', 'self-test: kernel B silently carries this drift (e.g. "pcie:swap(DEVCTL,LNKCTL)"); the identity oracle must catch it')
    .option('--json', 'machine-readable summary');
  cmd.action(action(async (opts: FuzzCliOptions) => {
    refuseUnread(cmd, fuzzScopes(opts));
    const { config, seed, jobs, runs, timeMs, deadline, personality } = campaignOptions(opts);
    const { samples, qemuShrinkBudget } = await qemuPlan(opts, config, seed);
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
    const records = saveFindings(run, opts, config, seed);
    // The corpus is written. Real samples run QEMU, which the terminal's Ctrl-C reaches too: from
    // here a signal is the real run's (kexec/process/cleanup.ts: QEMU stopped, a partial report).
    interrupt.release();
    const stoppedBy = interrupt.received();
    const qemu = await realSamples(samples, stoppedBy, { opts, jobs, qemuShrinkBudget, seed });
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

/** Each shrunk finding as a corpus record (written to --corpus DIR when given), with its reproducer. */
function saveFindings(run: CampaignRun, opts: FuzzCliOptions, config: CampaignConfig, seed: number): CorpusRecord[] {
  return run.shrunk.map(({ first, shrunk: found }) => {
    // A planted drift is part of what the reproducer must run (lusim cycle shows it as a drift).
    const shrunk = opts.plant ? { ...found, case: { ...found.case, drift: [found.case.drift, opts.plant].filter(Boolean).join(';') } } : found;
    const entry = corpusEntry(shrunk, { seed, caseIndex: first.index, caseCycle: first.cycle, ...(config.seedDump ? { seedDump: config.seedDump } : {}) }, (id) => join(opts.corpus ?? '.', `${id}.lspci`));
    if (opts.corpus) {
      saveCorpusFile(join(opts.corpus, `${entry.record.id}.lspci`), entry.lspci);
      saveCorpusFile(join(opts.corpus, `${entry.record.id}.json`), `${JSON.stringify(entry.record, null, 2)}\n`);
    }
    return entry.record;
  });
}

/**
 * The --qemu samples run for real after the campaign (none when a signal stopped it), their
 * findings shrunk unless --no-shrink, and each saved to --corpus DIR.
 */
async function realSamples(samples: readonly QemuSample[], stoppedBy: string | undefined, o: { opts: FuzzCliOptions; jobs: number; qemuShrinkBudget: number; seed: number }): Promise<QemuRun | undefined> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  if (stoppedBy && samples.length) say(`lusim fuzz: ${stoppedBy}: the ${samples.length} --qemu samples were not run`);
  const run = realSampleRunner({ writeTrace: o.opts.qemuTrace !== false });
  const sampled = samples.length && !stoppedBy ? await runQemuSamples(samples, say, o.jobs, run) : undefined;
  const qemu = sampled && o.opts.shrink && sampled.findings.length && !sampled.interrupted
    ? { ...sampled, findings: await shrinkQemuFindings(sampled.findings, samples, { budget: o.qemuShrinkBudget, jobs: o.jobs, run, progress: say }) }
    : sampled;
  const corpus = o.opts.corpus;
  if (qemu && corpus) {
    for (const f of qemu.findings) saveCorpusFile(join(corpus, `${signatureId(f.signature)}.json`), `${JSON.stringify(qemuCorpusRecord(f, samples[f.sample]!, o.seed), null, 2)}\n`);
  }
  return qemu;
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

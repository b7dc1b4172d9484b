/**
 * `lusim suite run|merge|init`: regression suites of reset_works assumptions and Live Update
 * outcomes for CI (docs/suites.md). Exit 0 every test passed, 1 a test failed, 2 a suite file
 * (or an option) is wrong.
 */
import { dirname, resolve } from 'node:path';
import { checkOutPath, stdOutOr, writeOrHandBack, writeOut } from '../args/out-file.js';
import type { Command } from 'commander';
import { formatIssue, SuiteError } from '../../sim/suite/errors.js';
import { parseShard } from '../../sim/suite/plan.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, reportError } from '../errors.js';
import { initSuite } from '../suite/init.js';
import { renderHtml } from '../suite/html.js';
import { renderJunit } from '../suite/junit.js';
import { renderKtap } from '../suite/ktap.js';
import { readResultsFile } from '../suite/junit-read.js';
import { mergeResults, totals, type SuiteResults } from '../suite/results.js';
import { MODEL_KERNELS, readSuiteFile, runSuites } from '../suite/run.js';
import { renderSummary } from '../suite/summary.js';
import { updateSuiteFiles } from '../suite/update.js';
import { refuseUnread } from '../args/option-scope.js';
import { refuseRepeated } from '../args/option-list.js';

interface OutputOptions { junit?: string; ktap?: boolean; json?: string }
interface RunCliOptions extends OutputOptions { qemu?: boolean; jobs: string; shard?: string; update?: boolean; html?: string }

export function register(program: Command): void {
  const suite = program.command('suite').description('regression suites: reset_method, reset_works and Live Update outcomes a team relies on, checked per kernel, for CI (docs/suites.md)');
  outputs(suite.command('run')
    .description('run suite files on the model (and with --qemu on real kernels); exit 0 all passed, 1 a test failed, 2 a suite file is wrong')
    .argument('<file...>', 'suite files (YAML, docs/suites.md)')
    .option('--qemu', 'also run the cases on real Debian kernels in QEMU (reset cases: sysfs reset_method; cycle cases: a real kexec, saved and restored by the kernels); a case fails where model and kernel disagree')
    .option('--jobs <n>', 'QEMU guests at a time with --qemu', '1')
    .option('--shard <i/n>', 'run shard I of N (1-based): a deterministic round-robin slice of the tests, for a CI matrix')
    .option('--html <file>', 'write one self-contained page: the tests, and per cycle a config-space map coloured by verdict and the write timeline')
    .option('--update', 'rewrite the expectations that changed in the suite files, like snapshot tests (review the diff)'))
    .action(guard(async (files: string[], opts: RunCliOptions, cmd: Command) => {
      refuseUnread(cmd, [{ flags: ['--jobs'], applies: opts.qemu === true, where: 'with --qemu (the model runs every case in one process)' }]);
      checkOutputs(opts);
      const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
      if (typeof shard === 'string') throw new CliError('bad-option', shard, {});
      const jobs = Number(opts.jobs);
      if (!Number.isInteger(jobs) || jobs < 1) throw new CliError('bad-option', `--jobs ${opts.jobs}: give a whole number of QEMU guests, 1 or more`, {});
      if (opts.update && shard) throw new CliError('bad-option', '--update needs every test: drop --shard', {});
      if (opts.update && opts.qemu) throw new CliError('bad-option', '--update writes the model\'s predictions: drop --qemu (a --qemu run says where the kernels disagree)', {});
      if (opts.qemu) {
        // One line before any guest boots, instead of the same error for every test.
        const why = (await import('../../kexec/qemu/launcher.js')).qemuMissing();
        if (why) throw new CliError('bad-option', `--qemu: ${why}`, {});
        const { runQemuSuites } = await import('../suite/qemu.js');
        const { doc, boots, cycles, devices } = await runQemuSuites(files, { jobs, ...(shard ? { shard } : {}) });
        process.stderr.write(`lusim: ${boots.length} QEMU guest(s): ${boots.map((b) => `${b.key} (${b.devices.join(', ')}) ${((b.endMs - b.startMs) / 1000).toFixed(0)} s${b.ok ? '' : ' FAILED'}`).join('; ') || 'none'}\n`);
        // The config-space maps are the model's cycles; the real run's verdicts are the tests' checks.
        const html = opts.html ? save(opts.html, '--html', renderHtml(doc, cycles, devices)) : true;
        return finish(doc, opts, html);
      }
      const suites = files.map((f) => readSuiteFile(f, MODEL_KERNELS));
      const tty = process.stderr.isTTY;
      const { doc, tests, cycles, devices } = await runSuites(suites, {
        ...(shard ? { shard } : {}),
        progress: (done, total, t) => { if (tty) process.stderr.write(`\r\x1b[K  suite ${done + 1}/${total} ${t.id}`); },
      });
      if (tty) process.stderr.write('\r\x1b[K');
      const html = opts.html ? save(opts.html, '--html', renderHtml(doc, cycles, devices)) : true;
      if (opts.update) {
        const changed = updateSuiteFiles(tests, doc.results);
        for (const c of changed) process.stderr.write(`lusim: updated ${c.file}: ${c.keys} expectation(s)\n`);
      }
      finish(doc, opts, html);
      if (opts.update) process.exitCode = 0;
    }));

  outputs(suite.command('merge')
    .description('join the results of shards (their --json or --junit files) into one run, and write its JUnit, KTAP, JSON; exit as the joined run')
    .argument('<results...>', 'files written by lusim suite run --json or --junit'))
    .action(guard(async (files: string[], opts: OutputOptions) => {
      checkOutputs(opts);
      finish(mergeResults(files.map((path) => ({ path, doc: readResultsFile(path) }))), opts);
    }));

  suite.command('init')
    .description('write a suite (YAML, stdout or --out) from what lusim predicts today for these devices: review it and commit it')
    .argument('<device...>', 'dump files (every function in them) or built-in devices')
    .option('--kernels <list>', 'kernel profiles (comma-separated)', '6.1,6.12,7.1')
    .option('--name <name>', 'the suite name', 'my-fleet')
    .option('-o, --out <file>', 'write the suite here, with dump paths relative to it (a suite reads them from its own directory); default stdout, paths relative to the working directory')
    .action(guard(async (devices: string[], given: { kernels: string; name: string; out?: string }) => {
      const opts = { ...given, out: stdOutOr(given.out) };
      const kernels = opts.kernels.split(',').map((k) => k.trim()).filter((k) => k !== '');
      if (!kernels.length) throw new CliError('bad-option', `--kernels "${opts.kernels}" names no kernel: use ${MODEL_KERNELS.knownKernels}`, {});
      for (const k of kernels) if (!MODEL_KERNELS.isKnownKernel(k)) throw new CliError('bad-option', `unknown kernel "${k}" in --kernels; use ${MODEL_KERNELS.knownKernels}`, {});
      refuseRepeated('--kernels', opts.kernels, kernels);
      if (opts.out !== undefined) checkOutPath(opts.out, '--out', 'suite.yaml');
      const { text, notes } = await initSuite(devices, { kernels, name: opts.name, ...(opts.out !== undefined ? { dir: dirname(resolve(opts.out)) } : {}) });
      for (const n of notes) process.stderr.write(`lusim: note: ${n}\n`);
      if (opts.out === undefined) {
        process.stdout.write(text);
        return;
      }
      if (writeOrHandBack(opts.out, text, 'the suite')) process.stderr.write(`lusim: wrote the suite to ${opts.out}\n`);
      else process.exitCode = EXIT_FAILURE;
    }));
}

function outputs(cmd: Command): Command {
  return cmd
    .option('--junit <file>', 'write JUnit XML: one testsuite per kernel, one testcase per case and kernel (- for stdout)')
    .option('--ktap', 'print KTAP on stdout, as kselftest does (the summary goes to stderr)')
    .option('--json <file>', 'write the results as JSON (- for stdout); lusim suite merge reads these');
}

/** The options that write a document on stdout (`--ktap`, or `-` as a file). */
function stdoutDocuments(opts: OutputOptions): string[] {
  return [opts.junit === '-' ? '--junit -' : '', opts.json === '-' ? '--json -' : '', opts.ktap ? '--ktap' : ''].filter(Boolean);
}

/** Every output file checked before the run (a --qemu run takes minutes): one line and exit 2 when one cannot be written. */
function checkOutputs(opts: OutputOptions & { html?: string }): void {
  // One document per stdout: two of them one after the other parse as neither.
  const onStdout = stdoutDocuments(opts);
  if (onStdout.length === 2) throw new CliError('bad-option', `${onStdout.join(' and ')} would both write to stdout: give one of them a file`, { options: onStdout });
  if (onStdout.length === 3) throw new CliError('bad-option', `${onStdout[0]}, ${onStdout[1]} and ${onStdout[2]} would all write to stdout: give two of them a file`, { options: onStdout });
  if (opts.junit && opts.junit !== '-') checkOutPath(opts.junit, '--junit', 'junit.xml');
  if (opts.json && opts.json !== '-') checkOutPath(opts.json, '--json', 'results.json');
  if (opts.html) checkOutPath(opts.html, '--html', 'report.html');
}

/** A report file; false, said in one line, when the write fails after the run (the disk filled up): the summary still prints. */
function save(path: string, option: string, text: string): boolean {
  const written = writeOut(path, text, option);
  if (!written.ok) process.stderr.write(`lusim: ${written.message}\n`);
  return written.ok;
}

/** `saved`: whether the files written before (--html) were; a file not written is exit 1. */
function finish(doc: SuiteResults, opts: OutputOptions, saved = true): void {
  const junit = opts.junit && opts.junit !== '-' ? save(opts.junit, '--junit', renderJunit(doc)) : true;
  const json = opts.json && opts.json !== '-' ? save(opts.json, '--json', `${JSON.stringify(doc, null, 2)}\n`) : true;
  const summary = renderSummary(doc);
  if (opts.junit === '-') process.stdout.write(renderJunit(doc));
  if (opts.json === '-') process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  if (opts.ktap) process.stdout.write(renderKtap(doc));
  // The summary gives stdout up to a document written there.
  if (stdoutDocuments(opts).length > 0) process.stderr.write(summary);
  else process.stdout.write(summary);
  const t = totals(doc.results);
  process.exitCode = t.fail + t.error > 0 || !(saved && junit && json) ? EXIT_FAILURE : 0;
}

/** Like errors.ts action(), but a wrong suite file or option is a usage error: exit 2. */
function guard<A extends unknown[]>(fn: (...args: A) => Promise<void>) {
  return async (...args: A): Promise<void> => {
    try {
      await fn(...args);
    } catch (err) {
      if (err instanceof SuiteError) {
        process.stderr.write(`${err.issues.map((i) => `lusim: ${formatIssue(i)}`).join('\n')}\n`);
        process.exitCode = EXIT_USAGE;
      } else if (err instanceof CliError && err.code === 'bad-option') {
        process.stderr.write(`lusim: ${err.message}\n`);
        process.exitCode = EXIT_USAGE;
      } else {
        process.exitCode = reportError(err, false);
      }
    }
  };
}

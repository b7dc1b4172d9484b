/**
 * `lusim fuzz` options: each value checked (a bad one is a usage error, exit 2, one line), the
 * campaign's configuration built from them, and the --qemu samples planned and checked against
 * what this machine has before any case runs.
 */
import { buildFunction } from '../../devices/device.js';
import type { DumpDevice } from '../../devices/dump/types.js';
import { SAVE_FORMATS, type SaveFormat } from '../../sim/cycle/carry.js';
import { FLOWS, type Flow } from '../../sim/cycle/run.js';
import type { CampaignConfig } from '../../sim/fuzz/campaign.js';
import { droppableCapabilities } from '../../sim/fuzz/device.js';
import { ORACLES, type OracleName } from '../../sim/fuzz/oracles.js';
import { qemuProfileFor } from '../../sim/fuzz/personality.js';
import { qemuSamples, realKernelsFor, REAL_KERNELS, type QemuSample } from '../../sim/fuzz/qemu-sample.js';
import { parseDrift } from '../../sim/linux/drift.js';
import { KERNEL_PROFILE_IDS } from '../../sim/linux/profiles.js';
import { partialCapture } from '../../sim/partial-capture.js';
import { parseFormatOption, pickDevices, readDumpFile } from '../args/dump-file.js';
import { CliError } from '../errors.js';
import type { OptionScope } from '../args/option-scope.js';
import { refuseRepeated } from '../args/option-list.js';

export interface FuzzCliOptions {
  seed?: string; runs?: string; time?: string; jobs: string; kernels?: string; from?: string; to?: string; formats?: string; flows?: string; oracle?: string;
  fromDump?: string; inputFormat?: string; device?: string; json?: boolean; corpus?: string; campaign: 'semantic' | 'malformed'; shrink: boolean;
  shrinkBudget: string; timeBound: string; plant?: string; qemu?: string; qemuShrinkBudget: string; qemuTrace?: boolean; replay?: string;
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
  refuseRepeated(option, value, items);
  return items as T[];
}

function count(value: string, what: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) usage(`${what} must be a whole number ${range}, got "${value}"`);
  return Number(value);
}

/** caseSeed folds a seed to 32 bits (ToInt32): a larger one would run another seed's campaign. */
const MAX_SEED = 0xffffffff;
/** Each job is a worker thread with its own heap and model; far more than cores only share them. */
const MAX_JOBS = 64;
/** Each sample boots QEMU twice (10-25 s under TCG). */
const MAX_QEMU_SAMPLES = 1000;

/** "60s", "2m", "500ms", or plain seconds. */
function duration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
  if (!m) usage(`--time "${value}" not understood: use e.g. 30s, 2m or 500ms`);
  const n = Number(m![1]);
  if (n === 0) usage(`--time must be longer than 0, got "${value}"`);
  return m![2] === 'ms' ? n : m![2] === 'm' ? n * 60_000 : n * 1000;
}

/**
 * A partial seed (lspci -x, -xxx, a lost row) is fuzzed as a whole dump with the bytes it lacks
 * read as 0 (sim/fuzz/device.ts materialize): say so, since its capabilities there never appear.
 */
function notePartialSeed(file: string, seed: DumpDevice): void {
  const partial = partialCapture(buildFunction(seed));
  if (partial) process.stderr.write(`lusim: note: ${file}: ${partial}. The fuzzed devices take the bytes it lacks as 0, so capabilities there are in no case; capture all of it as root (lspci -xxxx, or lusim capture)\n`);
}

/**
 * Which options each kind of run reads (cli/args/option-scope.ts). A replay runs each record's own
 * case (its kernels, format, flow and drift) once, in one thread; the malformed campaign feeds
 * broken layouts and encodings to the walker and loaders, one at a time, against the typed-errors
 * and time-bound oracles.
 */
export function fuzzScopes(opts: FuzzCliOptions): OptionScope[] {
  const replay = opts.replay !== undefined;
  const malformed = opts.campaign === 'malformed';
  return [
    {
      flags: ['--seed', '--runs', '--time', '--jobs', '--kernels', '--from', '--to', '--formats', '--flows', '--corpus', '--no-shrink', '--shrink-budget', '--qemu', '--qemu-shrink-budget', '--no-qemu-trace', '--plant'],
      applies: !replay, where: 'to a campaign, not with --replay (it runs each record\'s own case again, its kernels, format and flow included, in one thread)',
    },
    {
      flags: ['--jobs', '--from', '--to', '--flows', '--oracle', '--from-dump', '--input-format', '--device', '--no-shrink', '--shrink-budget', '--qemu', '--qemu-shrink-budget', '--no-qemu-trace', '--plant'],
      applies: replay || !malformed, where: 'to the semantic campaign, not with --campaign malformed (one broken layout at a time, on one thread, against the typed-errors and time-bound oracles)',
    },
    { flags: ['--input-format', '--device'], applies: opts.fromDump !== undefined, where: 'with --from-dump (the seed dump\'s format and function)' },
    // --no-shrink beside a budget says itself that nothing is shrunk: only a budget with no --qemu is lost.
    { flags: ['--qemu-shrink-budget'], applies: opts.qemu !== undefined, where: 'with --qemu N (the shrink of its real findings)' },
    { flags: ['--no-qemu-trace'], applies: opts.qemu !== undefined, where: 'with --qemu N (it compares the real samples\' write traces)' },
  ];
}

export interface CampaignOptions {
  readonly config: CampaignConfig;
  readonly seed: number;
  readonly jobs: number;
  /** --runs (default 500), or undefined with --time. */
  readonly runs: number | undefined;
  readonly timeMs: number | undefined;
  readonly deadline: number | undefined;
  /** The QEMU 7.2 profile of the --from-dump device, for the personality oracle. */
  readonly personality: string | undefined;
}

export function campaignOptions(opts: FuzzCliOptions): CampaignOptions {
  if (opts.runs !== undefined && opts.time !== undefined) usage('give --runs or --time, not both');
  if (opts.replay !== undefined && opts.campaign === 'malformed') usage('--replay runs the semantic campaign\'s records: leave out --campaign malformed');
  const seed = opts.seed !== undefined ? count(opts.seed, '--seed', 0, MAX_SEED) : Math.floor(Math.random() * 0x7fffffff);
  const jobs = count(opts.jobs, '--jobs', 1, MAX_JOBS);
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
  return { config, seed, jobs, runs, timeMs, deadline, personality };
}

/** The --qemu samples (none without --qemu N), after checking QEMU and the kernels they boot are here. */
export async function qemuPlan(opts: FuzzCliOptions, config: CampaignConfig, seed: number): Promise<{ samples: QemuSample[]; qemuShrinkBudget: number }> {
  const qemuCount = opts.qemu !== undefined ? count(opts.qemu, '--qemu', 1, MAX_QEMU_SAMPLES) : 0;
  const qemuShrinkBudget = count(opts.qemuShrinkBudget, '--qemu-shrink-budget', 0);
  const qemuKernels = realKernelsFor(opts.kernels !== undefined ? config.kernels : undefined);
  if (qemuCount && !qemuKernels.length) usage(`--qemu runs Debian kernels: --kernels must include one of ${REAL_KERNELS.map((k) => k.profile).join(', ')}`);
  if (opts.oracle !== undefined && config.oracles.includes('qemu') && !qemuCount) process.stderr.write('lusim: note: the qemu oracle judges real samples: add --qemu N to run N of them\n');
  const samples = qemuCount && config.oracles.includes('qemu') ? qemuSamples(seed, qemuCount, qemuKernels) : [];
  // Samples never install or fetch: say up front, before the campaign, what they need and lack.
  if (samples.length) {
    const { qemuMissing } = await import('../../kexec/qemu/launcher.js');
    const why = qemuMissing();
    if (why) usage(`--qemu: ${why}`);
  }
  const missing = await uncachedKernels(samples);
  if (missing.length) usage(`--qemu: the ${samples.length} samples boot kernel${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, not in the cache: run \`lusim kernels fetch ${missing.join(' ')} --module\`, or narrow --kernels`);
  return { samples, qemuShrinkBudget };
}

/** The kernel series the samples boot that the cache lacks (kexec/kernels/kernels.ts findKernel). */
async function uncachedKernels(samples: readonly QemuSample[]): Promise<string[]> {
  if (!samples.length) return [];
  const { findKernel } = await import('../../kexec/kernels/kernels.js');
  return [...new Set(samples.flatMap((s) => [s.from, s.to]))].filter((k) => findKernel(k) === undefined).sort();
}

/**
 * The fuzz worker pool (--jobs N): the main thread and N - 1 worker threads (node:worker_threads)
 * take chunks of the campaign's cases as they become free, then shrink tasks. The main thread
 * runs cases too: it has the modules loaded and compiled already, where a worker first pays its
 * start-up (bench/fuzz.ts). Results do not depend on N or on which runner ran which chunk: chunks
 * are merged by lowest case index (sim/fuzz/shard.ts) and each shrink depends only on (seed, case,
 * signature).
 */
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { caseAt, type CampaignConfig, type Shrunk } from '../../sim/fuzz/campaign.js';
import { MUST_HOLD } from '../../sim/fuzz/oracles.js';
import { mergeFirsts, type FirstSeen } from '../../sim/fuzz/shard.js';
import { mergeChanges, type ChangeTally } from '../../sim/fuzz/changes.js';
import type { FromWorker, ToWorker } from './messages.js';
import { runTask } from './task.js';

/**
 * The code a worker thread starts with. Compiled (dist/, the installed package, which has no tsx):
 * the worker module itself. From source, lusim runs through tsx, whose loader is registered per
 * thread: a worker first registers it (tsx/esm/api), then imports the worker module. Resolved on
 * use, so loading this module never needs tsx.
 */
function workerBoot(): string {
  if (import.meta.url.endsWith('.js')) return `import(${JSON.stringify(new URL('./worker.js', import.meta.url).href)})`;
  return `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); })`;
}

/** Runs one task to its last message. */
type Runner = (task: ToWorker) => Promise<FromWorker>;

/**
 * The main thread: it gives the event loop a turn before each case, so a worker's finished chunk
 * is answered with the next one within a case, not after the main thread's whole chunk (with a
 * turn per chunk only, the worker idled most of the time: 408 cycles/s with 2 jobs against 449
 * with 1 in a 20 s run).
 */
const inline: Runner = async (task) => {
  let last: FromWorker | undefined;
  await runTask(task, (m) => { last = m; }, () => yieldToEvents());
  if (!last || last.type === 'failed') throw new Error(`fuzz task failed: ${last?.type === 'failed' ? last.message : 'no answer'}`);
  return last;
};

/** A runner per job: the main thread, and a worker thread for each further job. */
function runners(jobs: number): { run: Runner[]; close: () => Promise<void> } {
  const workers = Array.from({ length: jobs - 1 }, () => new Worker(workerBoot(), { eval: true }));
  const run = workers.map((w): Runner => (task) => new Promise((resolve, reject) => {
    const onError = (e: Error) => { w.off('message', onMessage); reject(e); };
    const onMessage = (m: FromWorker) => {
      w.off('error', onError);
      if (m.type === 'failed') reject(new Error(`fuzz worker failed: ${m.message}`));
      else resolve(m);
    };
    w.once('message', onMessage);
    w.once('error', onError);
    w.postMessage(task);
  }));
  return { run: [inline, ...run], close: async () => { await Promise.all(workers.map((w) => w.terminate())); } };
}

export interface CampaignRun {
  readonly cases: number;
  /** The cases' cycles (a case is a batch of 1 to 16: sim/fuzz/case.ts). */
  readonly cycles: number;
  /** Wall time of the campaign itself, before shrinking. */
  readonly campaignMs: number;
  readonly firsts: readonly FirstSeen[];
  /** Every cycle's carried-state outcome by kind of change (sim/fuzz/changes.ts). */
  readonly changes: ChangeTally;
  readonly shrunk: readonly { readonly first: FirstSeen; readonly shrunk: Shrunk }[];
}

export interface PoolOptions {
  readonly jobs: number;
  readonly runs?: number;
  /** Date.now() at which the campaign stops (--time). */
  readonly deadline?: number;
  readonly shrink: boolean;
  /** Date.now() after which findings are reported unshrunk (--time: the run's own length again). */
  readonly shrinkDeadline?: number;
  /** Aborted (a signal: cli/fuzz/interrupt.ts): take no more cases, and report findings unshrunk. */
  readonly stop?: AbortSignal;
  /** Called after each chunk with the cycles run and the first-seen findings so far. */
  readonly onProgress?: (cycles: number, firsts: readonly FirstSeen[]) => void;
  readonly onShrink?: (done: number, total: number) => void;
}

/**
 * Cases per chunk: small enough that the runners finish together (the last chunk is the
 * imbalance) and that progress comes often, large enough that a message per chunk is nothing
 * beside its cycles (a case is a few milliseconds).
 */
function chunkSize(runs: number | undefined, runners: number): number {
  return runs === undefined ? 16 : Math.max(1, Math.min(16, Math.ceil(runs / (8 * runners))));
}

let campaigns = 0;

export async function runCampaign(config: CampaignConfig, opts: PoolOptions): Promise<CampaignRun> {
  const { run, close } = runners(opts.jobs);
  const campaign = ++campaigns;
  const started = Date.now();
  try {
    const size = chunkSize(opts.runs, run.length);
    const end = opts.runs ?? Infinity;
    let firsts: FirstSeen[] = [];
    let total = 0;
    let cycles = 0;
    const changes: ChangeTally = {};
    let next = 0;
    // A runner that fails stops the others from taking more chunks (the main thread's loop would
    // otherwise run on after runCampaign has thrown).
    let failed = false;
    const over = () => failed || opts.stop?.aborted === true || (opts.deadline !== undefined && Date.now() >= opts.deadline);
    await Promise.all(run.map(async (r) => {
      while (next < end && !over()) {
        const from = next;
        next = Math.min(end, from + size);
        const m = await r({ type: 'chunk', campaign, config, from, to: next, ...(opts.deadline !== undefined ? { deadline: opts.deadline } : {}) }).catch((e: unknown) => { failed = true; throw e; });
        if (m.type !== 'chunk-done') continue;
        total += m.result.cases;
        cycles += m.result.cycles;
        firsts = mergeFirsts([firsts, m.result.firsts]);
        mergeChanges(changes, m.result.changes);
        opts.onProgress?.(cycles, firsts);
      }
    }));
    opts.onProgress?.(cycles, firsts);
    const campaignMs = Date.now() - started;
    if (!opts.shrink) return { cases: total, cycles, campaignMs, firsts, changes, shrunk: [] };
    // Shrink tasks go to whichever runner is free, must-hold failures first; each result lands in
    // its finding's slot. Past the shrink deadline, or once stopped, a finding keeps its first case.
    const shrunk = new Array<{ first: FirstSeen; shrunk: Shrunk }>(firsts.length);
    const order = firsts.map((_, i) => i).sort((a, b) => Number(MUST_HOLD.includes(firsts[b].oracle)) - Number(MUST_HOLD.includes(firsts[a].oracle)) || a - b);
    let nextShrink = 0;
    let done = 0;
    await Promise.all(run.map(async (r) => {
      while (nextShrink < order.length && !failed) {
        const i = order[nextShrink++];
        if (opts.stop?.aborted || (opts.shrinkDeadline !== undefined && Date.now() > opts.shrinkDeadline)) {
          shrunk[i] = { first: firsts[i], shrunk: { case: caseAt(config, firsts[i].index, firsts[i].cycle), finding: firsts[i], cycles: 0 } };
          opts.onShrink?.(++done, firsts.length);
          continue;
        }
        const m = await r({ type: 'shrink', campaign, config, index: firsts[i].index, cycle: firsts[i].cycle, signature: firsts[i].signature }).catch((e: unknown) => { failed = true; throw e; });
        if (m.type === 'shrunk') { shrunk[i] = { first: firsts[i], shrunk: m.shrunk }; opts.onShrink?.(++done, firsts.length); }
      }
    }));
    return { cases: total, cycles, campaignMs, firsts, changes, shrunk };
  } finally {
    await close();
  }
}

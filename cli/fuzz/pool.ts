/**
 * The fuzz worker pool (--jobs N): N worker threads (node:worker_threads), each running shards of
 * the campaign and then shrink tasks. With one job the same tasks run in the main thread. Results
 * do not depend on N: shards are merged by lowest case index (sim/fuzz/shard.ts) and each shrink
 * depends only on (seed, case, signature).
 */
import { Worker } from 'node:worker_threads';
import { caseAt, type CampaignConfig, type Shrunk } from '../../sim/fuzz/campaign.js';
import { MUST_HOLD } from '../../sim/fuzz/oracles.js';
import { mergeFirsts, type FirstSeen } from '../../sim/fuzz/shard.js';
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

type Runner = (task: ToWorker, on: (m: FromWorker) => void) => Promise<void>;

/** A runner per job: a worker thread, or the main thread for --jobs 1. */
function runners(jobs: number): { run: Runner[]; close: () => Promise<void> } {
  if (jobs === 1) {
    const inline: Runner = (task, on) => new Promise((resolve, reject) => {
      void runTask(task, (m) => (m.type === 'failed' ? reject(new Error(`fuzz task failed: ${m.message}`)) : on(m))).then(resolve);
    });
    return { run: [inline], close: async () => {} };
  }
  const workers = Array.from({ length: jobs }, () => new Worker(workerBoot(), { eval: true }));
  const run = workers.map((w): Runner => (task, on) => new Promise((resolve, reject) => {
    const onMessage = (m: FromWorker) => {
      if (m.type !== 'failed') on(m);
      if (m.type === 'progress') return;
      w.off('message', onMessage);
      w.off('error', reject);
      if (m.type === 'failed') reject(new Error(`fuzz worker failed: ${m.message}`));
      else resolve();
    };
    w.on('message', onMessage);
    w.once('error', reject);
    w.postMessage(task);
  }));
  return { run, close: async () => { await Promise.all(workers.map((w) => w.terminate())); } };
}

export interface CampaignRun {
  readonly cases: number;
  /** Wall time of the campaign itself, before shrinking. */
  readonly campaignMs: number;
  readonly firsts: readonly FirstSeen[];
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
  readonly onProgress?: (cases: number, firsts: readonly FirstSeen[]) => void;
  readonly onShrink?: (done: number, total: number) => void;
}

export async function runCampaign(config: CampaignConfig, opts: PoolOptions): Promise<CampaignRun> {
  const { run, close } = runners(opts.jobs);
  const started = Date.now();
  try {
    const cases = new Array<number>(run.length).fill(0);
    const live: FirstSeen[][] = run.map(() => []);
    const results: FirstSeen[][] = run.map(() => []);
    await Promise.all(run.map((r, shard) => r(
      { type: 'shard', config, shard, shards: run.length, ...(opts.runs !== undefined ? { runs: opts.runs } : {}), ...(opts.deadline !== undefined ? { deadline: opts.deadline } : {}) },
      (m) => {
        if (m.type === 'progress') { cases[shard] = m.cases; live[shard].push(...m.firsts); opts.onProgress?.(cases.reduce((a, b) => a + b, 0), [...new Map(live.flat().map((f) => [f.signature, f])).values()]); }
        if (m.type === 'shard-done') { cases[shard] = m.result.cases; results[shard] = [...m.result.firsts]; }
      },
    )));
    const firsts = mergeFirsts(results);
    const total = cases.reduce((a, b) => a + b, 0);
    opts.onProgress?.(total, firsts);
    const campaignMs = Date.now() - started;
    if (!opts.shrink) return { cases: total, campaignMs, firsts, shrunk: [] };
    // Shrink tasks go to whichever runner is free, must-hold failures first; each result lands in
    // its finding's slot. Past the shrink deadline a finding keeps its first case.
    const shrunk = new Array<{ first: FirstSeen; shrunk: Shrunk }>(firsts.length);
    const order = firsts.map((_, i) => i).sort((a, b) => Number(MUST_HOLD.includes(firsts[b].oracle)) - Number(MUST_HOLD.includes(firsts[a].oracle)) || a - b);
    let next = 0;
    let done = 0;
    await Promise.all(run.map(async (r) => {
      while (next < order.length) {
        const i = order[next++];
        if (opts.shrinkDeadline !== undefined && Date.now() > opts.shrinkDeadline) {
          shrunk[i] = { first: firsts[i], shrunk: { case: caseAt(config, firsts[i].index), finding: firsts[i], cycles: 0 } };
          opts.onShrink?.(++done, firsts.length);
          continue;
        }
        await r({ type: 'shrink', config, index: firsts[i].index, signature: firsts[i].signature }, (m) => {
            if (m.type === 'shrunk') { shrunk[i] = { first: firsts[i], shrunk: m.shrunk }; opts.onShrink?.(++done, firsts.length); }
        });
      }
    }));
    return { cases: total, campaignMs, firsts, shrunk };
  } finally {
    await close();
  }
}

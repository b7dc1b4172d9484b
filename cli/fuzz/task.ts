/** One task of the fuzz pool, run the same way in a worker thread or in the main thread. */
import { shrinkCase, type CampaignConfig } from '../../sim/fuzz/campaign.js';
import { runChunk } from '../../sim/fuzz/shard.js';
import type { FromWorker, ToWorker } from './messages.js';

// The config of the campaign this runner is on: each task brings a fresh structured clone, and
// the campaign's fast-check arbitrary is cached per config object (sim/fuzz/campaign.ts arbOf).
let current: { readonly campaign: number; readonly config: CampaignConfig } | undefined;

function configOf(task: ToWorker): CampaignConfig {
  if (current?.campaign !== task.campaign) current = { campaign: task.campaign, config: task.config };
  return current.config;
}

/** `between`: awaited between cases (sim/fuzz/shard.ts ChunkPlan.between). */
export async function runTask(task: ToWorker, post: (m: FromWorker) => void, between?: () => Promise<void>): Promise<void> {
  try {
    const config = configOf(task);
    if (task.type === 'chunk') {
      const { deadline } = task;
      const result = await runChunk(config, { from: task.from, to: task.to, ...(between ? { between } : {}), ...(deadline !== undefined ? { stop: () => Date.now() >= deadline } : {}) });
      post({ type: 'chunk-done', result });
    } else {
      post({ type: 'shrunk', shrunk: await shrinkCase(config, task.index, task.cycle, task.signature, between) });
    }
  } catch (err) {
    post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  }
}

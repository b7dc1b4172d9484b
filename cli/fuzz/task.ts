/** One task of the fuzz pool, run the same way in a worker thread or in the main thread (--jobs 1). */
import { shrinkCase } from '../../sim/fuzz/campaign.js';
import { runShard } from '../../sim/fuzz/shard.js';
import type { FromWorker, ToWorker } from './messages.js';

export async function runTask(task: ToWorker, post: (m: FromWorker) => void): Promise<void> {
  try {
    if (task.type === 'shard') {
      const { deadline } = task;
      // Progress carries only the findings first seen since the last message (a growing list
      // cloned every 50 cases would cost more than the cases).
      let sent = 0;
      const result = await runShard(task.config, {
        shard: task.shard, shards: task.shards, ...(task.runs !== undefined ? { runs: task.runs } : {}),
        ...(deadline !== undefined ? { stop: () => Date.now() >= deadline } : {}),
        onProgress: (cases, firsts) => { post({ type: 'progress', cases, firsts: firsts.slice(sent) }); sent = firsts.length; },
      });
      post({ type: 'shard-done', result });
    } else {
      post({ type: 'shrunk', shrunk: await shrinkCase(task.config, task.index, task.signature) });
    }
  } catch (err) {
    post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  }
}

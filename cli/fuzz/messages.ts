/** What the fuzz pool and its worker threads say to each other (structured-clone data only). */
import type { CampaignConfig, Shrunk } from '../../sim/fuzz/campaign.js';
import type { FirstSeen, ShardResult } from '../../sim/fuzz/shard.js';

export type ToWorker =
  | { readonly type: 'shard'; readonly config: CampaignConfig; readonly shard: number; readonly shards: number; readonly runs?: number; readonly deadline?: number }
  | { readonly type: 'shrink'; readonly config: CampaignConfig; readonly index: number; readonly signature: string };

export type FromWorker =
  /** `firsts`: the findings first seen since the previous progress message of this shard. */
  | { readonly type: 'progress'; readonly cases: number; readonly firsts: readonly FirstSeen[] }
  | { readonly type: 'shard-done'; readonly result: ShardResult }
  | { readonly type: 'shrunk'; readonly shrunk: Shrunk }
  | { readonly type: 'failed'; readonly message: string };

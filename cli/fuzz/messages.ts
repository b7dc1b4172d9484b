/** What the fuzz pool and its worker threads say to each other (structured-clone data only). */
import type { CampaignConfig, Shrunk } from '../../sim/fuzz/campaign.js';
import type { ChunkResult } from '../../sim/fuzz/shard.js';

export type ToWorker =
  /**
   * Cases [from, to) of the campaign. `campaign` names the config: a runner that saw it before
   * reuses its first copy (and the fast-check arbitrary built for it) instead of the new clone.
   */
  | { readonly type: 'chunk'; readonly campaign: number; readonly config: CampaignConfig; readonly from: number; readonly to: number; readonly deadline?: number }
  | { readonly type: 'shrink'; readonly campaign: number; readonly config: CampaignConfig; readonly index: number; readonly cycle: number; readonly signature: string };

export type FromWorker =
  | { readonly type: 'chunk-done'; readonly result: ChunkResult }
  | { readonly type: 'shrunk'; readonly shrunk: Shrunk }
  | { readonly type: 'failed'; readonly message: string };

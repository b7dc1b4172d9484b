/**
 * The LUO route of the real cycle (issue 14, "Real LUO"): for two kernels built with the Live
 * Update Orchestrator, the handover range crosses the kexec in a memfd preserved in a LUO session
 * instead of in memmap= memory. Kernel A's agent copies the range into the memfd, preserves it and
 * zeroes the range (kexec/luo-helper/lusim_luo.c); kernel B's agent retrieves it and writes it
 * back; the host's reads and writes of the range stay as on the memmap route, so the survival
 * check (handover-io.ts) is the proof that LUO carried the bytes.
 *
 * A kernel can take the route when its config has LIVEUPDATE, LIVEUPDATE_MEMFD (mm/memfd_luo.c,
 * the only file handler in 7.3.4), KEXEC_HANDOVER and DEVMEM (the helper's window on the range).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LusimError } from '../../devices/errors.js';
import { parseKconfig } from '../../sim/linux/kconfig.js';
import type { KernelImage } from '../kernels/kernels.js';
import type { GuestSession } from './real-session.js';
import { AgentError } from '../guest/agent-client.js';

export class LuoRouteError extends LusimError<'luo-failed'> {}

export type HandoverRoute = 'memmap' | 'luo';

const NEEDED = ['LIVEUPDATE', 'LIVEUPDATE_MEMFD', 'KEXEC_HANDOVER', 'DEVMEM'] as const;

/** Options the kernel lacks for the LUO route (empty: it can take it). */
export function luoMissing(k: KernelImage): string[] {
  const cfg = parseKconfig(readFileSync(k.config, 'utf8'));
  return NEEDED.filter((o) => cfg.get(o) !== 'y').map((o) => `CONFIG_${o}`);
}

/** LUO when both kernels can take it, else memmap= (every Debian kernel: none enables LIVEUPDATE). */
export function chooseRoute(a: KernelImage, b: KernelImage): HandoverRoute {
  return luoMissing(a).length === 0 && luoMissing(b).length === 0 ? 'luo' : 'memmap';
}

/** include/uapi/linux/liveupdate.h of a user's build (in-tree, or the source of a make O= tree). */
export function luoHeader(k: KernelImage): string {
  const dir = k.build?.headersDir;
  const found = dir ? [join(dir, 'include/uapi/linux/liveupdate.h'), join(dir, 'source/include/uapi/linux/liveupdate.h')].find((p) => existsSync(p)) : undefined;
  if (!found) throw new LuoRouteError('luo-failed', `kernel ${k.release} has LIVEUPDATE but lusim cannot find its include/uapi/linux/liveupdate.h (give the build directory) to build lusim_luo against.`, { release: k.release });
  return found;
}

async function kluo(s: GuestSession, verb: 'save' | 'load'): Promise<string> {
  try {
    const lines = await s.guard(s.agent.run('KLUO', [verb]));
    return lines.join(' ');
  } catch (e) {
    if (!(e instanceof AgentError)) throw e;
    throw new LuoRouteError('luo-failed', `LUO ${verb === 'save' ? 'preservation in kernel A' : 'retrieval in kernel B'} (${s.release}) failed: ${e.message}`, { release: s.release });
  }
}

/** Kernel A: the range into a preserved memfd (session "lusim"), the range zeroed. */
export const luoPreserve = (s: GuestSession): Promise<string> => kluo(s, 'save');

/** Kernel B: the memfd retrieved, its bytes back in the range, the session finished. */
export const luoRetrieve = (s: GuestSession): Promise<string> => kluo(s, 'load');

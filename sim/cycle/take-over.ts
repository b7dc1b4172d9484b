/**
 * Kernel B takes the device over after its enumeration, by flow: the plain flow loads what kernel
 * A carried (pci_load_saved_state) and restores it; rfc-2025 does so inside VFIO's open and close;
 * lu-series and vfio-lu open the device through VFIO and save B's own state; vfio opens and closes
 * it with nothing carried. Through LUO, B first checks it speaks what A wrote (handover-abi.ts).
 */
import type { PciFunction } from '../../devices/device.js';
import type { PciDev } from '../linux/dev.js';
import { checkHandover, type HandoverCheck } from '../linux/handover-abi.js';
import type { KernelProfile } from '../linux/profile.js';
import { pciRestoreState } from '../linux/restore.js';
import { pciSaveState } from '../linux/save.js';
import { loadCarried, type Carried } from './carry.js';
import type { ModelUnderTest } from './model-access.js';
import type { BufferFill } from './provenance.js';
import { predictFor } from './reset-path.js';
import type { Flow } from './run.js';
import { vfioPciCoreDisable, vfioPciCoreEnable } from './vfio.js';

export interface LoadResult {
  readonly ret: number;
  readonly error?: string;
}

export interface TakeOver {
  readonly load: LoadResult;
  /** How B's load filled each save buffer (provenance.ts), for the restore's attribution. */
  readonly fills: ReadonlyMap<string, BufferFill>;
  readonly resetWorksNew?: boolean;
  readonly handover?: HandoverCheck;
}

export interface TakeOverInputs {
  readonly A: KernelProfile;
  readonly B: KernelProfile;
  readonly flow: Flow;
  readonly fn: PciFunction;
  readonly mut: ModelUnderTest;
  readonly devB: PciDev;
  readonly carried: Carried | undefined;
  readonly resetWorksOld: boolean | undefined;
  readonly handover: 'memmap' | 'luo' | undefined;
}

const asLoad = (out: { ret: number; error?: string }): LoadResult => (out.error ? { ret: out.ret, error: out.error } : { ret: out.ret });

/** Through LUO, whether B adopts what A handed over (only the flows that carry state ask). */
function luoHandover(i: TakeOverInputs): HandoverCheck | undefined {
  const carriesState = i.flow === 'plain' || i.flow === 'rfc-2025' || i.flow === 'vfio-lu';
  if (i.handover !== 'luo' || !carriesState) return undefined;
  return checkHandover(i.A.id, i.B.id, i.flow === 'vfio-lu' ? 'vfio-pci' : 'memfd', { from: i.A.kconfig, to: i.B.kconfig });
}

export async function takeOver(i: TakeOverInputs, notes: string[]): Promise<TakeOver> {
  const { A, B, flow, fn, devB } = i;
  const handover = luoHandover(i);
  const withHandover = handover ? { handover } : {};
  if (handover?.refusal) {
    // Nothing handed over is adopted and no restore of the carried state runs.
    const r = handover.refusal;
    notes.push(`LUO handover: kernel A wrote ${handover.written.join(', ') || 'nothing'}`);
    return { load: { ret: r.ret, error: r.side === 'A' ? `no handover: ${A.id}'s ${r.step}: ${r.message}` : `handover refused by ${B.id}'s ${r.step}: ${r.message}` }, fills: new Map(), ...withHandover };
  }
  const load = async () => {
    const out = await loadCarried(i.carried!, fn, B, devB.saved, i.mut.access.config);
    notes.push(...out.notes);
    return { load: asLoad(out), fills: out.fills };
  };
  const inherited = { liveupdateRestore: { resetWorks: i.resetWorksOld!, savedState: null } };
  if (flow === 'plain') {
    const loaded = await load();
    await pciRestoreState(B, devB);
    return { ...loaded, ...withHandover };
  }
  if (flow === 'rfc-2025') {
    const open = await vfioPciCoreEnable(B, devB, fn, inherited);
    notes.push(...open.notes);
    let loaded: { load: LoadResult; fills: ReadonlyMap<string, BufferFill> } = { load: { ret: 0 }, fills: new Map() };
    notes.push(...(await vfioPciCoreDisable(B, devB, fn, open, async () => { loaded = await load(); return loaded.load; })));
    return { ...loaded, resetWorksNew: open.resetWorks, ...withHandover };
  }
  if (flow === 'lu-series' || flow === 'vfio-lu') {
    // v5 (vfio-lu) carries no reset_works: kernel B decides it from its own reset methods,
    // without resetting the incoming device at open.
    const own = flow === 'vfio-lu' ? { liveupdateRestore: { resetWorks: predictFor(fn, B.id).lockedResetMethod !== null, savedState: null } } : inherited;
    const open = await vfioPciCoreEnable(B, devB, fn, own);
    notes.push(...(flow === 'vfio-lu' ? open.notes.map((n) => n.replace('inherited', `from ${B.id}'s own reset methods (v5 carries none)`)) : open.notes));
    await pciSaveState(B, devB);
    return { load: { ret: 0 }, fills: new Map(), resetWorksNew: open.resetWorks, ...withHandover };
  }
  const open = await vfioPciCoreEnable(B, devB, fn);
  notes.push(...open.notes);
  notes.push(...(await vfioPciCoreDisable(B, devB, fn, open)));
  return { load: { ret: 0 }, fills: new Map(), resetWorksNew: open.resetWorks, ...withHandover };
}

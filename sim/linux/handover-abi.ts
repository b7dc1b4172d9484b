/**
 * The KHO/LUO compatible strings and ABI versions each kernel profile speaks, as data, and the
 * checks the incoming kernel makes before it adopts anything (the ABI version is carried in the
 * string; a mismatch means the data is not adopted):
 *  - kexec_handover.c: the KHO FDT root must match KHO_FDT_COMPATIBLE, else "handover FDT ... is
 *    incompatible" and the whole handover is ignored (preserved memory not even reserved);
 *  - luo_core.c: the LUO root must match ("FDT 'LUO' is incompatible" up to 7.1; 7.2+ one
 *    LUO_ABI_COMPATIBLE, "LUO state is incompatible with '%s'"), else -EINVAL, nothing retrieved;
 *  - luo_file.c luo_file_deserialize: each file's handler by exact strcmp, else "No registered
 *    handler for compatible '%s'" and -ENOENT;
 *  - drivers/pci/liveupdate.c (lu-pci): the FLB "pci" must be registered ("No incoming FLB matched
 *    pci": the device is not incoming-preserved) and pci_ser.version must equal
 *    PCI_LUO_FLB_VERSION (-EINVAL).
 * Read in: include/linux/kho/abi/{kexec_handover,luo,memfd}.h of 7.1.3 (rikudousennin22), Debian
 * linux-source 7.2.13 and 7.3.4 (kho-v4 and a single "luo-v5" from 7.2: the session and FLB
 * strings were folded into it); 6.19 from linux-pci.md 9.2; lu-pci: kho/abi/pci.h and
 * vfio_pci.h of the series (upstream-2026.md) on the 7.3 strings. 6.1 and 6.12 have no KHO (6.16)
 * and no LUO (6.19).
 */
import type { KernelConfig, KernelProfileId } from './profile.js';

export interface HandoverAbi {
  /** KHO_FDT_COMPATIBLE. */
  readonly kho: string;
  /** The LUO root: LUO_FDT_COMPATIBLE (6.19, 7.1) or LUO_ABI_COMPATIBLE (7.2+). */
  readonly luo: string;
  /** LUO_FDT_SESSION_COMPATIBLE and LUO_FDT_FLB_COMPATIBLE (6.19, 7.1 only; folded into luo-v5 later). */
  readonly luoSession?: string;
  readonly luoFlb?: string;
  /** MEMFD_LUO_FH_COMPATIBLE: the file handler a memfd payload needs. */
  readonly memfd: string;
  /** PCI_LUO_FLB_COMPATIBLE and PCI_LUO_FLB_VERSION (struct pci_ser { u32 version; u32 nr_devices; u64 devices }). */
  readonly pciFlb?: { readonly compatible: string; readonly version: number };
  /** VFIO_PCI_LUO_FH_COMPATIBLE (the VFIO series v5 with it: serialized state {domain, bdf}). */
  readonly vfioPci?: string;
}

const V6_19: HandoverAbi = { kho: 'kho-v1', luo: 'luo-v1', luoSession: 'luo-session-v2', memfd: 'memfd-v1' };
const V7_1: HandoverAbi = { kho: 'kho-v3', luo: 'luo-v1', luoSession: 'luo-session-v2', luoFlb: 'luo-flb-v1', memfd: 'memfd-v2' };
const V7_2: HandoverAbi = { kho: 'kho-v4', luo: 'luo-v5', memfd: 'memfd-v2' };

export const HANDOVER_ABI: Readonly<Record<KernelProfileId, HandoverAbi | undefined>> = {
  '6.1': undefined,
  '6.1.y': undefined,
  '6.12': undefined,
  '6.12.y': undefined,
  '6.19': V6_19,
  '7.1': V7_1,
  '7.2': V7_2,
  '7.3': V7_2,
  'lu-pci': { ...V7_2, pciFlb: { compatible: 'pci', version: 2 }, vfioPci: 'vfio-pci-v1' },
};

/** What the handover needs kernel B to speak. */
export type HandoverPayload = 'memfd' | 'vfio-pci';

export interface HandoverCheck {
  readonly ok: boolean;
  /** The strings kernel A wrote, as "name=value". */
  readonly written: readonly string[];
  /** The kernel function that refuses and what it logs, when !ok; `side` A: nothing could be written. */
  readonly refusal?: { readonly side: 'A' | 'B'; readonly step: string; readonly ret: number; readonly message: string };
}

const ENOENT = -2;
const EINVAL = -22;

function fail(written: string[], step: string, ret: number, message: string, side: 'A' | 'B' = 'B'): HandoverCheck {
  return { ok: false, written, refusal: { side, step, ret, message } };
}

/** The first of KEXEC_HANDOVER, LIVEUPDATE (and PCI_LIVEUPDATE for vfio-pci) a config turns off. */
function missingOption(k: Partial<KernelConfig> | undefined, payload: HandoverPayload): string | undefined {
  if (!k) return undefined;
  if (k.KEXEC_HANDOVER === false) return 'CONFIG_KEXEC_HANDOVER';
  if (k.LIVEUPDATE === false) return 'CONFIG_LIVEUPDATE';
  if (payload === 'vfio-pci' && k.PCI_LIVEUPDATE === false) return 'CONFIG_PCI_LIVEUPDATE';
  return undefined;
}

/**
 * kernel B's checks, in the order it makes them, on what kernel A wrote for `payload`. With the
 * kernels' Kconfig, a kernel built without KHO/LUO (or the pci FLB) writes or reads nothing.
 */
export function checkHandover(from: KernelProfileId, to: KernelProfileId, payload: HandoverPayload, kconfig: { readonly from?: Partial<KernelConfig>; readonly to?: Partial<KernelConfig> } = {}): HandoverCheck {
  const a = HANDOVER_ABI[from];
  const b = HANDOVER_ABI[to];
  const offA = missingOption(kconfig.from, payload);
  if (a && offA) return fail([], 'liveupdate_reboot', 0, `kernel ${from} is built without ${offA}: nothing is handed over through LUO`, 'A');
  const offB = missingOption(kconfig.to, payload);
  if (!a) return fail([], 'liveupdate_reboot', 0, `kernel ${from} has no Live Update Orchestrator (KHO is 6.16+, LUO 6.19+): nothing can be handed over through LUO (the memmap= route is --handover memmap)`, 'A');
  const written = [`kho=${a.kho}`, `luo=${a.luo}`, ...(a.luoSession ? [`luo-session=${a.luoSession}`] : []),
    payload === 'memfd' ? `file=${a.memfd}` : `file=${a.vfioPci ?? '(none)'}`, ...(payload === 'vfio-pci' && a.pciFlb ? [`flb=${a.pciFlb.compatible} v${a.pciFlb.version}`] : [])];
  if (payload === 'vfio-pci' && !a.vfioPci) return fail(written, 'liveupdate_session_preserve_fd', 0, `kernel ${from} has no vfio-pci Live Update handler (the VFIO series is modelled in lu-pci only): the device file cannot be preserved`, 'A');
  if (!b) return fail(written, 'kho_populate', 0, `kernel ${to} has no KHO: the handover is not looked at (KHO is 6.16+), nothing is adopted`);
  if (offB) return fail(written, offB === 'CONFIG_PCI_LIVEUPDATE' ? 'pci_liveupdate_flb_get_incoming' : 'kho_populate', 0, `kernel ${to} is built without ${offB}: what ${from} handed over is not adopted`);
  if (a.kho !== b.kho) return fail(written, 'kho_populate', 0, `"handover FDT is incompatible": ${to} speaks ${b.kho}, ${from} wrote ${a.kho}; the whole handover is ignored`);
  if (a.luo !== b.luo || a.luoSession !== b.luoSession) {
    return fail(written, 'luo_early_startup', EINVAL, `LUO state is incompatible: ${to} speaks ${b.luo}${b.luoSession ? `/${b.luoSession}` : ''}, ${from} wrote ${a.luo}${a.luoSession ? `/${a.luoSession}` : ''}; no session is retrieved`);
  }
  const handler = payload === 'memfd' ? a.memfd : a.vfioPci!;
  const known = payload === 'memfd' ? b.memfd : b.vfioPci;
  if (handler !== known) return fail(written, 'luo_file_deserialize', ENOENT, `No registered handler for compatible '${handler}' in ${to}${known ? ` (it has ${known})` : ''}`);
  if (payload === 'vfio-pci') {
    if (!b.pciFlb) return fail(written, 'pci_liveupdate_flb_get_incoming', ENOENT, `No incoming FLB matched pci in ${to}: the device is not incoming-preserved`);
    if (a.pciFlb!.version !== b.pciFlb.version) return fail(written, 'pci_flb_retrieve', EINVAL, `pci_ser version ${a.pciFlb!.version} vs PCI_LUO_FLB_VERSION ${b.pciFlb.version}`);
  }
  return { ok: true, written };
}

/**
 * PCI_DEV_FLAGS_NO_{BUS,PM,FLR}_RESET that drivers/pci/quirks.c sets by vendor/device ID at
 * enumeration (quirk_no_bus_reset, quirk_nvidia_no_bus_reset, quirk_no_pm_reset, quirk_no_flr,
 * quirk_no_flr_snet), besides the device_specific table (quirks.ts). The table is read from Debian's
 * linux-source-7.2 (7.2.13-1, the sid kernel the real run boots) and linux-source-7.3 (7.3.4-1~bpo13+1),
 * whose entries are identical; it applies to the 7.2 and 7.3 profiles. Other versions' quirks.c was
 * not read, so for them no ID-keyed flag is applied and the prediction says so.
 */
import type { DevFlag, ResetProbeDevice } from './device.js';
import type { KernelResetProfile, KernelVersion } from './kernels.js';

interface FlagQuirk {
  readonly flag: DevFlag;
  readonly quirk: string;
  readonly vendor: number;
  /** undefined: any device of the vendor (then `match` decides). */
  readonly device?: number;
  readonly match?: (dev: ResetProbeDevice) => boolean;
}

const NVIDIA = 0x10de, ATHEROS = 0x168c, QCOM = 0x17cb, CAVIUM = 0x177d, TI = 0x104c, ASMEDIA = 0x1b21;
const ATI = 0x1002, MELLANOX = 0x15b3, AMD = 0x1022, INTEL = 0x8086, MEDIATEK = 0x14c3, SOLIDRUN = 0xd063;

const ids = (flag: DevFlag, quirk: string, vendor: number, devices: readonly number[], match?: FlagQuirk['match']): FlagQuirk[] =>
  devices.map((device) => ({ flag, quirk, vendor, device, ...(match ? { match } : {}) }));

/** quirk_no_pm_reset: "We can't do a bus reset on root bus devices, but an ineffective PM reset may be better than nothing." */
const offRootBus = (dev: ResetProbeDevice) => !dev.onRootBus;

const TABLE_7_2: readonly FlagQuirk[] = [
  ...ids('no-bus', 'quirk_no_bus_reset', NVIDIA, [0x22ce, 0x22d0]),
  { flag: 'no-bus', quirk: 'quirk_nvidia_no_bus_reset', vendor: NVIDIA, match: (d) => (d.device & 0xffc0) === 0x2340 },
  ...ids('no-bus', 'quirk_no_bus_reset', ATHEROS, [0x0030, 0x0032, 0x003c, 0x0033, 0x0034, 0x003e]),
  ...ids('no-bus', 'quirk_no_bus_reset', QCOM, [0x1103, 0x1107, 0x0308]),
  ...ids('no-bus', 'quirk_no_bus_reset', CAVIUM, [0xa100]),
  ...ids('no-bus', 'quirk_no_bus_reset', TI, [0xb005]),
  ...ids('no-bus', 'quirk_no_bus_reset', ASMEDIA, [0x1164]),
  // DECLARE_PCI_FIXUP_CLASS_HEADER(PCI_VENDOR_ID_ATI, PCI_ANY_ID, PCI_CLASS_DISPLAY_VGA, 8, ...).
  { flag: 'no-pm', quirk: 'quirk_no_pm_reset', vendor: ATI, match: (d) => d.classCode >>> 8 === 0x0300 && offRootBus(d) },
  ...ids('no-pm', 'quirk_no_pm_reset', MELLANOX, [0xcb84, 0xcf6c, 0xcf70, 0xcf80], offRootBus),
  ...ids('no-flr', 'quirk_no_flr', AMD, [0x1487, 0x148c, 0x149c, 0x7901, 0x1502, 0x17f0]),
  ...ids('no-flr', 'quirk_no_flr', INTEL, [0x1502, 0x1503]),
  ...ids('no-flr', 'quirk_no_flr', MEDIATEK, [0x0616, 0x7925]),
  ...ids('no-flr', 'quirk_no_flr_snet', SOLIDRUN, [0x1000], (d) => d.revision === 0x1),
];

const TABLES: Partial<Record<KernelVersion, readonly FlagQuirk[]>> = { '7.2': TABLE_7_2, '7.3': TABLE_7_2 };

export interface QuirkFlags {
  readonly dev: ResetProbeDevice;
  /** What was applied, or why nothing could be. */
  readonly reasons: readonly string[];
}

/** The device with the flags this kernel's quirks.c sets for its IDs added to the given ones. */
export function withQuirkFlags(dev: ResetProbeDevice, k: KernelResetProfile): QuirkFlags {
  const table = TABLES[k.version];
  if (!table) return { dev, reasons: [`quirks.c: ID-keyed PCI_DEV_FLAGS_NO_*_RESET not modelled for ${k.version} (its quirks.c was not read); give them with --flags`] };
  const hits = table.filter((q) => q.vendor === dev.vendor && (q.device === undefined || q.device === dev.device) && (q.match === undefined || q.match(dev)));
  if (hits.length === 0) return { dev, reasons: [] };
  const flags = new Set(dev.flags);
  for (const h of hits) flags.add(h.flag);
  return { dev: { ...dev, flags }, reasons: hits.map((h) => `quirks.c ${h.quirk} sets ${h.flag === 'no-bus' ? 'PCI_DEV_FLAGS_NO_BUS_RESET' : h.flag === 'no-pm' ? 'PCI_DEV_FLAGS_NO_PM_RESET' : 'PCI_DEV_FLAGS_NO_FLR_RESET'} for this device`) };
}

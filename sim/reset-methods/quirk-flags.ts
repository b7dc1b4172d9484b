/**
 * PCI_DEV_FLAGS_NO_{BUS,PM,FLR}_RESET that drivers/pci/quirks.c sets by vendor/device ID at
 * enumeration (quirk_no_bus_reset, quirk_nvidia_no_bus_reset, quirk_no_pm_reset, quirk_no_flr,
 * quirk_no_flr_snet), besides the device_specific table (quirks.ts). Nothing else in the tree sets
 * these three flags (git grep of 6.1-rc7 and 7.1.3); pci.c reads them in pcie_reset_flr, pci_af_flr,
 * pci_pm_reset, pci_dev_reset_slot_function and pci_parent_bus_reset.
 *
 * The table is data per release, each entry tagged with the first release whose quirks.c has it.
 * Entries were only ever added between the releases read, so a release's table is every entry
 * whose `since` is not after it. The quirks.c read for each release (the snapshots of
 * /work/shared/docs/linux-pci.md section 0, plus Debian's sources):
 *  - 6.1: krr-io/linux-6.1.0 (6.1-rc7); TeddyNight/linux-6.1 (6.1.15) has the same entries and
 *    quirk bodies, so the v6.1 tag between them has them too;
 *  - 6.12: shilei-massclouds/linux-6.12 (v6.12);
 *  - 6.19: matankalina/linux-6.19.10-fork, "Import Linux v6.19" (Makefile 6.19.0);
 *  - 7.1: rikudousennin22/linux-7.1.3 (7.1.3, a stable release: the v7.1 tag itself was not read);
 *  - 7.2: Debian's linux-source-7.2 (7.2.13-1) and linux-source-7.3 (7.3.4-1~bpo13+1), identical.
 * The quirk bodies (the root-bus test of quirk_no_pm_reset, the 0xffc0 mask of
 * quirk_nvidia_no_bus_reset, the revision test of quirk_no_flr_snet) are the same in all of them.
 *
 * Checked and left out, because they change neither the reset-method list nor what is saved:
 * PCI_DEV_FLAGS_NO_D3 (quirk_no_ata_d3 and others) is read only by pci_set_power_state, which
 * refuses D3hot; pci_pm_reset writes PMCSR itself. The d3hot_delay quirks (quirk_d3hot_delay,
 * quirk_remove_d3hot_delay) change how long pci_pm_reset sleeps, not whether it is listed.
 * quirk_intel_qat_vf_cap (8086:0443) does change save/restore: it adds a PCIe save buffer for a
 * QAT VF whose MSI capability hides its PCIe capability; lusim does not model it (the walker
 * follows the chain as the device reports it).
 */
import type { DevFlag, ResetProbeDevice } from './device.js';
import type { KernelResetProfile, KernelVersion } from './kernels.js';

/** The releases whose quirks.c was read, oldest first. */
const RELEASES = ['6.1', '6.12', '6.19', '7.1', '7.2'] as const;
type Release = (typeof RELEASES)[number];

/** The quirks.c each profile follows; .y profiles follow their base and say what was not read. */
const PROFILE_RELEASE: Readonly<Record<KernelVersion, { readonly release: Release; readonly caveat?: string }>> = {
  '6.1': { release: '6.1' },
  '6.1.y': { release: '6.1', caveat: "6.1.y is given v6.1's table: the 6.1.y stable releases' quirks.c (Debian's 6.1.192) was not read" },
  '6.12': { release: '6.12' },
  '6.12.y': { release: '6.12', caveat: "6.12.y is given v6.12's table: the 6.12.y stable releases' quirks.c (Debian's 6.12.117) was not read" },
  '6.19': { release: '6.19' },
  '7.1': { release: '7.1' },
  '7.2': { release: '7.2' },
  '7.3': { release: '7.2' },
  'lu-pci': { release: '7.2' },
};

interface FlagQuirk {
  readonly flag: DevFlag;
  readonly quirk: string;
  readonly since: Release;
  readonly vendor: number;
  /** undefined: any device of the vendor (then `match` decides). */
  readonly device?: number;
  readonly match?: (dev: ResetProbeDevice) => boolean;
}

const NVIDIA = 0x10de, ATHEROS = 0x168c, QCOM = 0x17cb, CAVIUM = 0x177d, TI = 0x104c, ASMEDIA = 0x1b21;
const ATI = 0x1002, MELLANOX = 0x15b3, AMD = 0x1022, INTEL = 0x8086, MEDIATEK = 0x14c3, SOLIDRUN = 0xd063;

const ids = (since: Release, flag: DevFlag, quirk: string, vendor: number, devices: readonly number[], match?: FlagQuirk['match']): FlagQuirk[] =>
  devices.map((device) => ({ flag, quirk, since, vendor, device, ...(match ? { match } : {}) }));

/** quirk_no_pm_reset: "We can't do a bus reset on root bus devices, but an ineffective PM reset may be better than nothing." */
const offRootBus = (dev: ResetProbeDevice) => !dev.onRootBus;

const TABLE: readonly FlagQuirk[] = [
  // Atheros AR9xxx / QCA988x, Cavium CN8xxx root port, TI KeyStone C667X.
  ...ids('6.1', 'no-bus', 'quirk_no_bus_reset', ATHEROS, [0x0030, 0x0032, 0x003c, 0x0033, 0x0034, 0x003e]),
  ...ids('6.1', 'no-bus', 'quirk_no_bus_reset', CAVIUM, [0xa100]),
  ...ids('6.1', 'no-bus', 'quirk_no_bus_reset', TI, [0xb005]),
  { flag: 'no-bus', quirk: 'quirk_nvidia_no_bus_reset', since: '6.1', vendor: NVIDIA, match: (d) => (d.device & 0xffc0) === 0x2340 },
  // DECLARE_PCI_FIXUP_CLASS_HEADER(PCI_VENDOR_ID_ATI, PCI_ANY_ID, PCI_CLASS_DISPLAY_VGA, 8, ...).
  { flag: 'no-pm', quirk: 'quirk_no_pm_reset', since: '6.1', vendor: ATI, match: (d) => d.classCode >>> 8 === 0x0300 && offRootBus(d) },
  ...ids('6.1', 'no-flr', 'quirk_no_flr', AMD, [0x1487, 0x148c, 0x149c]),
  ...ids('6.1', 'no-flr', 'quirk_no_flr', INTEL, [0x1502, 0x1503]),
  // Mellanox Spectrum-1..4, AMD 0x7901, SolidRun SNET DPU rev 1.
  ...ids('6.12', 'no-pm', 'quirk_no_pm_reset', MELLANOX, [0xcb84, 0xcf6c, 0xcf70, 0xcf80], offRootBus),
  ...ids('6.12', 'no-flr', 'quirk_no_flr', AMD, [0x7901]),
  ...ids('6.12', 'no-flr', 'quirk_no_flr_snet', SOLIDRUN, [0x1000], (d) => d.revision === 0x1),
  // MediaTek MT7922.
  ...ids('6.19', 'no-flr', 'quirk_no_flr', MEDIATEK, [0x0616]),
  // NVIDIA GB10 root ports, ASMedia ASM1164, AMD NPU.
  ...ids('7.1', 'no-bus', 'quirk_no_bus_reset', NVIDIA, [0x22ce, 0x22d0]),
  ...ids('7.1', 'no-bus', 'quirk_no_bus_reset', ASMEDIA, [0x1164]),
  ...ids('7.1', 'no-flr', 'quirk_no_flr', AMD, [0x1502, 0x17f0]),
  ...ids('7.2', 'no-bus', 'quirk_no_bus_reset', QCOM, [0x1103, 0x1107, 0x0308]),
  ...ids('7.2', 'no-flr', 'quirk_no_flr', MEDIATEK, [0x7925]),
];

/** The entries of this release's quirks.c. */
export function flagQuirksOf(release: Release): readonly FlagQuirk[] {
  const upTo = RELEASES.indexOf(release);
  return TABLE.filter((q) => RELEASES.indexOf(q.since) <= upTo);
}

export interface QuirkFlags {
  readonly dev: ResetProbeDevice;
  /** What was applied, and what of this kernel's quirks.c was not read. */
  readonly reasons: readonly string[];
}

const FLAG_NAME: Readonly<Record<DevFlag, string>> = {
  'no-bus': 'PCI_DEV_FLAGS_NO_BUS_RESET', 'no-pm': 'PCI_DEV_FLAGS_NO_PM_RESET', 'no-flr': 'PCI_DEV_FLAGS_NO_FLR_RESET',
};

/** The device with the flags this kernel's quirks.c sets for its IDs added to the given ones. */
export function withQuirkFlags(dev: ResetProbeDevice, k: KernelResetProfile): QuirkFlags {
  const { release, caveat } = PROFILE_RELEASE[k.version];
  const hits = flagQuirksOf(release).filter((q) => q.vendor === dev.vendor && (q.device === undefined || q.device === dev.device) && (q.match === undefined || q.match(dev)));
  const flags = new Set(dev.flags);
  for (const h of hits) flags.add(h.flag);
  const applied = hits.map((h) => `quirks.c ${h.quirk} sets ${FLAG_NAME[h.flag]} for this device (in quirks.c since ${h.since})`);
  const notRead = caveat ? [`quirks.c: ${caveat}; give missing flags with --flags`] : [];
  return { dev: hits.length > 0 ? { ...dev, flags } : dev, reasons: [...applied, ...notRead] };
}

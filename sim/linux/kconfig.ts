/**
 * Kconfig from a kernel's own config (a /boot/config-*, /proc/config.gz decompressed, or a build
 * tree's .config): the options that change what the model's PCI steps do, read instead of
 * assuming Debian's. Each option used is reported with the effect it has on the model.
 *  - PCIEAER, PCIE_PTM, PCIE_DPC, PCIE_TPH: pci_aer_init / pci_ptm_init / pci_dpc_init / pci_tph_init
 *    are stubs without them, so the ERR, PTM, DPC, TPH save buffers do not exist;
 *  - PCIEASPM: the L1SS save/restore of v6.1 and pci_bridge_reconfigure_ltr are stubs without it;
 *    the default policy (PCIEASPM_DEFAULT/POWERSAVE/POWER_SUPERSAVE/PERFORMANCE) is reported, and
 *    the model keeps ASPM Control as found (pcie_aspm_init_link_state's policy is not modelled);
 *  - PCI_IOV: pci_restore_iov_state is a stub without it;
 *  - KEXEC_HANDOVER, LIVEUPDATE, PCI_LIVEUPDATE: whether a handover through LUO (and the pci FLB)
 *    can exist at all (sim/linux/handover-abi.ts).
 */
import type { KernelConfig } from './profile.js';

export type KconfigValue = 'y' | 'm' | 'n' | string;

/** `CONFIG_X=v` lines and `# CONFIG_X is not set` (as 'n'). */
export function parseKconfig(text: string): Map<string, KconfigValue> {
  const out = new Map<string, KconfigValue>();
  for (const line of text.split('\n')) {
    const set = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set) { out.set(set[1]!, set[2]!.replace(/^"(.*)"$/, '$1')); continue; }
    const unset = /^# CONFIG_([A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset) out.set(unset[1]!, 'n');
  }
  return out;
}

export interface KconfigUse {
  readonly option: string;
  /** y, m, n, or "unset" when the file does not mention it (Kconfig then takes it as off). */
  readonly value: string;
  readonly effect: string;
}

export interface AppliedKconfig {
  readonly config: Partial<KernelConfig>;
  readonly used: readonly KconfigUse[];
}

const BOOL_OPTIONS: readonly (readonly [keyof KernelConfig & string, string])[] = [
  ['PCIEAER', 'ERR save buffer (pci_aer_init), AER status clear and error reporting at enumeration'],
  ['PCIE_PTM', 'PTM save buffer (pci_ptm_init)'],
  ['PCIE_DPC', 'DPC save buffer (dpc_probe on ports)'],
  ['PCIE_TPH', 'TPH save buffer (pci_tph_init, v6.19+)'],
  ['PCIEASPM', 'v6.1 L1SS save/restore, pci_bridge_reconfigure_ltr'],
  ['PCI_IOV', 'pci_restore_iov_state (SR-IOV)'],
  ['KEXEC_HANDOVER', 'KHO: any handover through LUO'],
  ['LIVEUPDATE', 'LUO: sessions and file handlers (memfd)'],
  ['PCI_LIVEUPDATE', 'the pci FLB of the PCI Live Update series (lu-pci)'],
];

const ASPM_POLICIES = ['PCIEASPM_DEFAULT', 'PCIEASPM_POWERSAVE', 'PCIEASPM_POWER_SUPERSAVE', 'PCIEASPM_PERFORMANCE'] as const;

const on = (v: KconfigValue | undefined) => v === 'y' || v === 'm';

export function applyKconfig(options: ReadonlyMap<string, KconfigValue>): AppliedKconfig {
  const config: Record<string, boolean | string> = {};
  const used: KconfigUse[] = [];
  for (const [name, effect] of BOOL_OPTIONS) {
    const v = options.get(name);
    config[name] = on(v);
    used.push({ option: `CONFIG_${name}`, value: v ?? 'unset', effect: `${on(v) ? 'on' : 'off'}: ${effect}` });
  }
  const policy = ASPM_POLICIES.find((p) => options.get(p) === 'y');
  if (policy) {
    config.aspmPolicy = policy.slice('PCIEASPM_'.length).toLowerCase();
    used.push({ option: `CONFIG_${policy}`, value: 'y', effect: `ASPM default policy ${config.aspmPolicy} (reported; the model keeps ASPM Control as found)` });
  }
  return { config: config as Partial<KernelConfig>, used };
}

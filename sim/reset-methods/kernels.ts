/**
 * Kernel profiles for reset-method selection (linux-pci.md section 6; drivers/pci/pci.c
 * pci_reset_fn_methods[], pci_reset_bus_function). Versions differ by data:
 *  - the method table: 6.1 has device_specific, acpi, flr, af_flr, pm, bus (PCI_NUM_RESET_METHODS
 *    7); 6.12 adds cxl_bus (8);
 *  - the CXL rule in pci_reset_bus_function: 6.12 returns 0 in probe mode and -ENOTTY for a real
 *    reset when the upstream port has SBR masked (so `bus` is listed but fails); 7.1 returns
 *    -ENOTTY in both modes (linux-pci.md 6.1, read in the 7.1.3 source);
 *  - the quirk table (quirks.c pci_dev_reset_methods[]): Solidigm f1ac came after 6.1.
 * The .y profiles (6.1.y: L1SS revert; 6.12.y: the 6.19 recoverability backport) differ from
 * their base in save/restore only, not in reset selection.
 * 7.2 and 7.3 (Debian linux-source 7.2.13, 7.3.4): pci_reset_fn_methods[], the probes of every
 * method, pci_init_reset_methods, __pci_reset_function_locked and pci_dev_reset_methods[] are as
 * in 7.1.3. Two changes do not alter what the model decides: v7.2 pci_dev_reset_slot_function
 * lets a multifunction device use its slot's reset when slot->per_func_slot (the model has no
 * per-function hotplug slots: still -ENOTTY), and v7.2 pci_dev_wait also polls Command on a VF
 * whose Vendor ID reads ~0. v7.3 pci_dev_save_and_disable skips the save when config space is
 * not accessible (pci_dev_config_accessible). lu-pci is 7.3 here.
 * 6.19 (matankalina/linux-6.19.10-fork, "Import Linux v6.19"): pci_reset_fn_methods[], the probes,
 * pci_init_reset_methods, pci_reset_bus_function (6.12's CXL rule) and pci_dev_reset_methods[] are
 * as in 6.12; __pci_reset_function_locked only adds pci_dbg lines.
 */
import { ResetMethodsError } from './errors.js';

export type ResetMethodName = 'device_specific' | 'acpi' | 'flr' | 'af_flr' | 'pm' | 'bus' | 'cxl_bus';

export type KernelVersion = '6.1' | '6.1.y' | '6.12' | '6.12.y' | '6.19' | '7.1' | '7.2' | '7.3' | 'lu-pci';

export const KERNEL_VERSIONS: readonly KernelVersion[] = ['6.1', '6.1.y', '6.12', '6.12.y', '6.19', '7.1', '7.2', '7.3', 'lu-pci'];

export interface KernelResetProfile {
  readonly version: KernelVersion;
  /** pci_reset_fn_methods[1..] in table (priority) order. */
  readonly methods: readonly ResetMethodName[];
  /** pci_reset_bus_function below a CXL port with SBR masked. */
  readonly cxlMaskedBus: 'probe-ok-reset-enotty' | 'enotty' | 'not-checked';
  readonly solidigmQuirk: boolean;
}

const V61 = ['device_specific', 'acpi', 'flr', 'af_flr', 'pm', 'bus'] as const;
const V612 = [...V61, 'cxl_bus'] as const;

const PROFILES: Readonly<Record<KernelVersion, KernelResetProfile>> = {
  '6.1': { version: '6.1', methods: V61, cxlMaskedBus: 'not-checked', solidigmQuirk: false },
  '6.1.y': { version: '6.1.y', methods: V61, cxlMaskedBus: 'not-checked', solidigmQuirk: false },
  '6.12': { version: '6.12', methods: V612, cxlMaskedBus: 'probe-ok-reset-enotty', solidigmQuirk: true },
  '6.12.y': { version: '6.12.y', methods: V612, cxlMaskedBus: 'probe-ok-reset-enotty', solidigmQuirk: true },
  '6.19': { version: '6.19', methods: V612, cxlMaskedBus: 'probe-ok-reset-enotty', solidigmQuirk: true },
  '7.1': { version: '7.1', methods: V612, cxlMaskedBus: 'enotty', solidigmQuirk: true },
  '7.2': { version: '7.2', methods: V612, cxlMaskedBus: 'enotty', solidigmQuirk: true },
  '7.3': { version: '7.3', methods: V612, cxlMaskedBus: 'enotty', solidigmQuirk: true },
  'lu-pci': { version: 'lu-pci', methods: V612, cxlMaskedBus: 'enotty', solidigmQuirk: true },
};

export function kernelProfile(name: string): KernelResetProfile {
  const p = (PROFILES as Record<string, KernelResetProfile | undefined>)[name];
  if (!p) throw new ResetMethodsError('unknown-kernel', `unknown kernel "${name}": use one of ${KERNEL_VERSIONS.join(', ')}`, { kernel: name });
  return p;
}

/**
 * The slice of struct pci_dev the kexec steps need, re-read from the function's bytes at the
 * start of each step as the kernel re-reads it at enumeration (probe.c pci_setup_device,
 * set_pcie_port_type; pci_msi_init/pci_msix_init set msi_cap/msix_cap; pci_pm_init pm_cap;
 * pci_aer_init aer_cap; pci_acs_init acs_cap). Plus pcie_capability_read/write_word, which
 * skip registers the port type does not implement (access.c pcie_capability_reg_implemented).
 */
import type { FunctionAccess, Width } from '../../devices/access.js';
import { pcieLayout, pcieRegisterImplemented, type PcieLayout } from '../../devices/caps/pcie.js';
import { pciFindCapability, pciFindExtCapability, pciSetupCapLookup } from '../../devices/find-cap.js';
import { stepClearAndSet, stepRead, stepWrite } from '../write-log/steps.js';
import { traced, type TracedFunction, type WriteLog } from '../write-log/write-log.js';
import {
  PCI_CAP_ID_MSI, PCI_CAP_ID_MSIX, PCI_CAP_ID_PM, PCI_EXT_CAP_ID_ACS, PCI_EXT_CAP_ID_ERR, PCI_EXT_CAP_ID_LTR,
  PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_PCIE_BRIDGE, PCI_EXP_TYPE_ROOT_PORT,
} from '../../devices/pci-regs.js';

export interface KexecDev extends TracedFunction {
  readonly hdrType: number;
  /** pci_pcie_cap(dev) and the layout its PCI_EXP_FLAGS implies; undefined when not PCIe. */
  readonly pcie: { readonly cap: number; readonly layout: PcieLayout } | undefined;
  readonly pmCap: number;
  readonly msiCap: number;
  readonly msixCap: number;
  readonly aerCap: number;
  readonly acsCap: number;
  readonly ltrCap: number;
}

/**
 * `fn` as the kexec steps see it, its writes (read back: the steps run on the model) logged into
 * `log` for `device` ('dev', or 'parent' for the upstream port).
 */
export async function kexecDev(fn: FunctionAccess, log: WriteLog, device = 'dev'): Promise<KexecDev> {
  const t = traced(fn, device, log, { readback: true });
  // pci_setup_device: header type, PCIe capability, and cfg_size (only PCIe functions get
  // extended config space, so the extended lookups find nothing on the others).
  const d = await pciSetupCapLookup(t.access.config);
  const pmCap = await pciFindCapability(d, PCI_CAP_ID_PM);
  const msiCap = await pciFindCapability(d, PCI_CAP_ID_MSI);
  const msixCap = await pciFindCapability(d, PCI_CAP_ID_MSIX);
  const aerCap = await pciFindExtCapability(d, PCI_EXT_CAP_ID_ERR);
  const acsCap = await pciFindExtCapability(d, PCI_EXT_CAP_ID_ACS);
  const ltrCap = await pciFindExtCapability(d, PCI_EXT_CAP_ID_LTR);
  // One literal, no spread of `t` and no await between its properties: built that way, every
  // KexecDev got a V8 map of its own and every read of one in the steps was megamorphic.
  return {
    access: t.access, log: t.log, hdrType: d.hdrType,
    pcie: d.pcieCap ? { cap: d.pcieCap, layout: pcieLayout(d.pcieFlags) } : undefined,
    pmCap, msiCap, msixCap, aerCap, acsCap, ltrCap,
  };
}

/** pcie_capability_read_word/dword: 0 for a register the function does not implement. */
export async function pcieRead(d: KexecDev, reg: number, width: Width): Promise<number> {
  if (!d.pcie || !pcieRegisterImplemented(d.pcie.layout, reg)) return 0;
  return stepRead(d, d.pcie.cap + reg, width);
}

/** pcie_capability_clear_and_set_word: silently skipped for unimplemented registers. */
export async function pcieClearAndSet(d: KexecDev, step: string, reg: number, clear: number, set: number, why: string): Promise<void> {
  if (!d.pcie || !pcieRegisterImplemented(d.pcie.layout, reg)) {
    d.log.note(step, `PCIe register +0x${reg.toString(16)} not implemented for this function: ${why} skipped (pcie_capability_reg_implemented)`);
    return;
  }
  await stepClearAndSet(d, step, d.pcie.cap + reg, 2, clear, set, why);
}

/** pcie_capability_write_word/dword: silently skipped for unimplemented registers. */
export async function pcieWrite(d: KexecDev, step: string, reg: number, width: Width, value: number, why: string): Promise<void> {
  if (!d.pcie || !pcieRegisterImplemented(d.pcie.layout, reg)) return;
  await stepWrite(d, step, d.pcie.cap + reg, width, value, why);
}

export const pcieType = (d: KexecDev): number | undefined => d.pcie?.layout.type;

/**
 * pci.h pcie_downstream_port: the upstream end of a link (a Root Port, a switch's Downstream Port,
 * a PCI/PCI-X-to-PCIe bridge). An Upstream Port's secondary bus is the switch's internal bus, with
 * no link on it.
 */
export const pcieDownstreamPort = (type: number | undefined): boolean =>
  type === PCI_EXP_TYPE_ROOT_PORT || type === PCI_EXP_TYPE_DOWNSTREAM || type === PCI_EXP_TYPE_PCIE_BRIDGE;

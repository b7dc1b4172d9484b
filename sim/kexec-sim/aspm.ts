/**
 * pcie/aspm.c pcie_aspm_init_link_state for a link kernel B finds, which pci_scan_slot runs once a
 * slot's functions are added below a bridge: pcie_aspm_cap_init, when both ends support an ASPM
 * state, calls pcie_aspm_configure_common_clock. That decides once, from both ends, and writes the
 * functions below first (LNKCTL Common Clock Configuration set when both ends use the slot clock,
 * LNKSTA SLC, cleared otherwise, even when that changes nothing), then the port above, then
 * retrains the link from the port (pcie_retrain_link). It writes nothing when the link is already
 * consistently in common clock mode, or when pcie_aspm_sanity_check rejects the function below as
 * pre-1.1 (no RBER in DEVCAP). Debian 7.3.4's aspm.c and pci.c read; QEMU's trace shows every write
 * in 6.1, 6.12 and 7.2 boots, on the endpoint (nvme, e1000e) and on the q35 root port above it.
 *
 * The model runs the two ends in the two functions' own enumerations, each from the same decision
 * (commonClockPlan), so a prediction of either function alone has its writes in the order kernel B
 * makes them.
 */
import type { FunctionAccess } from '../../devices/access.js';
import type { KernelProfileId } from '../linux/profile.js';
import { kexecDev, pcieClearAndSet, pcieDownstreamPort, pcieRead, pcieType, pcieWrite, type KexecDev } from './dev.js';
import type { PlatformOptions } from './options.js';
import { KEXEC_VERSION_DATA } from './versions.js';
import { WriteLog } from '../write-log/write-log.js';
import {
  PCI_EXP_DEVCAP, PCI_EXP_DEVCAP_RBER, PCI_EXP_LNKCAP, PCI_EXP_LNKCAP_ASPMS, PCI_EXP_LNKCTL, PCI_EXP_LNKCTL_CCC,
  PCI_EXP_LNKCTL_RL, PCI_EXP_LNKSTA, PCI_EXP_LNKSTA_LBMS, PCI_EXP_LNKSTA_SLC,
} from '../../devices/pci-regs.js';

/** One end of a link as pcie_aspm_cap_init and pcie_aspm_configure_common_clock read it. */
export interface LinkEnd {
  readonly lnkcap: number;
  readonly lnksta: number;
  readonly lnkctl: number;
}

/** The function below the link also answers pcie_aspm_sanity_check (DEVCAP RBER: PCIe 1.1 or later). */
export interface LinkChild extends LinkEnd {
  readonly devcap: number;
}

/** What pcie_aspm_configure_common_clock does to a link: nothing (and why), or write CCC to `ccc` on both ends. */
export type CommonClockPlan = { readonly write: false; readonly why: string } | { readonly write: true; readonly ccc: boolean; readonly why: string };

export function commonClockPlan(port: LinkEnd, child: LinkChild): CommonClockPlan {
  if (!(child.devcap & PCI_EXP_DEVCAP_RBER)) return { write: false, why: 'pre-1.1 PCIe function (no RBER in DEVCAP): pcie_aspm_sanity_check blacklists the link' };
  if (!(port.lnkcap & child.lnkcap & PCI_EXP_LNKCAP_ASPMS)) return { write: false, why: 'no ASPM state both link ends support: pcie_aspm_cap_init leaves clocks and link alone' };
  const sameClock = (port.lnksta & PCI_EXP_LNKSTA_SLC) !== 0 && (child.lnksta & PCI_EXP_LNKSTA_SLC) !== 0;
  if (sameClock && port.lnkctl & PCI_EXP_LNKCTL_CCC && child.lnkctl & PCI_EXP_LNKCTL_CCC) return { write: false, why: 'link already in common clock mode on both ends: nothing written' };
  return sameClock
    ? { write: true, ccc: true, why: 'both ends use the slot clock: Common Clock Configuration set' }
    : { write: true, ccc: false, why: 'the ends do not share the slot clock (LNKSTA SLC): Common Clock Configuration cleared' };
}

async function linkEnd(d: KexecDev): Promise<LinkEnd> {
  return { lnkcap: await pcieRead(d, PCI_EXP_LNKCAP, 4), lnksta: await pcieRead(d, PCI_EXP_LNKSTA, 2), lnkctl: await pcieRead(d, PCI_EXP_LNKCTL, 2) };
}

const STEP = 'pcie_aspm_configure_common_clock';

/**
 * The function's own end (the downstream component), with the port's end as the platform describes
 * it. A platform describes no link above a function on a switch's internal bus (an Upstream Port
 * above it: sim/cycle/upstream.ts platformBelow, kexec/run/real-model.ts platformUnder).
 */
export async function pcieAspmConfigureCommonClock(d: KexecDev, p: PlatformOptions): Promise<void> {
  const port = p.upstream?.link;
  if (!d.pcie || !port) return;
  const plan = commonClockPlan(port, { ...(await linkEnd(d)), devcap: await pcieRead(d, PCI_EXP_DEVCAP, 4) });
  if (!plan.write) return d.log.note(STEP, plan.why);
  await pcieClearAndSet(d, STEP, PCI_EXP_LNKCTL, plan.ccc ? 0 : PCI_EXP_LNKCTL_CCC, plan.ccc ? PCI_EXP_LNKCTL_CCC : 0, plan.why);
}

/**
 * pci.c pcie_retrain_link(port, true) once no training is under way (QEMU's links never show Link
 * Training): Retrain Link set (the clear_retrain_link erratum's second write is not modelled),
 * then, v6.12+ (KEXEC_VERSION_DATA.retrainClearsLbms), pcie_reset_lbms writes LNKSTA's RW1C Link
 * Bandwidth Management Status ("so that the bit can be used to track link speed or width changes
 * made by hardware itself"). 6.1's aspm.c pcie_retrain_link has no LBMS write; QEMU's trace agrees.
 */
async function pcieRetrainLink(port: KexecDev, to: KernelProfileId): Promise<void> {
  await pcieClearAndSet(port, 'pcie_retrain_link', PCI_EXP_LNKCTL, 0, PCI_EXP_LNKCTL_RL, 'retrain the link with the new clock configuration');
  if (KEXEC_VERSION_DATA[to].retrainClearsLbms) await pcieWrite(port, 'pcie_reset_lbms', PCI_EXP_LNKSTA, 2, PCI_EXP_LNKSTA_LBMS, 'clear Link Bandwidth Management Status (RW1C) after a manual retrain');
}

/**
 * The port's end (the upstream component) of the link to `below`, the first function on its
 * secondary bus, then the retrain. Reads `below` only. Nothing without a function below: no link
 * state is set up for an empty slot.
 */
export async function pcieAspmConfigureCommonClockUpstream(port: KexecDev, to: KernelProfileId, below: FunctionAccess | undefined): Promise<void> {
  // pcie_aspm_init_link_state: link state only for the upstream end of a link, and for a slot with functions.
  if (!port.pcie || !below || !pcieDownstreamPort(pcieType(port))) return;
  const child = await kexecDev(below, new WriteLog(), 'below');
  if (!child.pcie) return;
  const plan = commonClockPlan(await linkEnd(port), { ...(await linkEnd(child)), devcap: await pcieRead(child, PCI_EXP_DEVCAP, 4) });
  if (!plan.write) return port.log.note(STEP, `the link below: ${plan.why}`);
  await pcieClearAndSet(port, STEP, PCI_EXP_LNKCTL, plan.ccc ? 0 : PCI_EXP_LNKCTL_CCC, plan.ccc ? PCI_EXP_LNKCTL_CCC : 0, `upstream component: ${plan.why}`);
  await pcieRetrainLink(port, to);
}

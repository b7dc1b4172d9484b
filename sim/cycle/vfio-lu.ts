/**
 * The VFIO Live Update series v5 ("vfio/pci: Base Live Update support for VFIO", Vipin Sharma,
 * 2026-07-14; upstream-2026.md): what kernel A's vfio-pci does when LUO freezes a preserved
 * device file (drivers/vfio/pci/vfio_pci_liveupdate.c freeze()), each check a gate the user sees:
 *
 *   1. interrupts: userspace must have disabled them (irq_type == VFIO_PCI_NUM_IRQS), else -EINVAL;
 *   2. power: the device must be in D0, else -EINVAL;
 *   3. pci_load_saved_state(vdev->pci_saved_state): the open-time state, its error returned;
 *   4. pci_clear_master;
 *   5. vfio_pci_core_try_reset: a reset only when reset_works (a no-op otherwise);
 *   6. pci_restore_state: the device is back at its open-time state, in the old kernel.
 *
 * A refusal fails liveupdate_reboot, so kernel_kexec returns and kernel A keeps running. What
 * crosses the kexec is the device's identity only ({domain, bdf}, compatible "vfio-pci-v1"); v4/v5
 * carry neither reset_works nor any config space (the RFC's vconfig and saved state are gone).
 */
import type { FunctionAccess } from '../../devices/access.js';
import type { PciFunction } from '../../devices/device.js';
import { PCI_CAP_ID_PM, PCI_PM_CTRL } from '../../devices/pci-regs.js';
import { capabilityById } from '../../devices/capability-lookup.js';
import { pciLoadSavedState } from '../formats/linux-blob.js';
import { kexecDev } from '../kexec-sim/dev.js';
import { pciFreeIrqVectors } from '../kexec-sim/irq.js';
import { pciClearMaster } from '../linux/enable.js';
import { stepRead, stepWrite } from '../write-log/steps.js';
import { WriteLog } from '../write-log/write-log.js';
import type { PciDev } from '../linux/dev.js';
import type { KernelProfile } from '../linux/profile.js';
import { pciRestoreState } from '../linux/restore.js';
import { predictFor, resetLocked } from './reset-path.js';
import type { VfioOpen } from './vfio.js';

export type FreezeGateName = 'interrupts disabled' | 'device in D0' | 'pci_load_saved_state' | 'pci_clear_master' | 'vfio_pci_core_try_reset' | 'pci_restore_state' | 'handover';

/** One step of freeze(): passed, refused (the kexec is aborted) or skipped (not reached or a no-op). */
export interface FreezeGate {
  readonly gate: FreezeGateName;
  readonly verdict: 'passed' | 'refused' | 'skipped';
  readonly why: string;
}

/** What userspace left behind when it asked for the kexec. */
export interface FreezeConditions {
  /** Userspace did not disable the device's interrupts (VFIO_DEVICE_SET_IRQS with count 0). */
  readonly irqsEnabled?: boolean;
  /** PMCSR power state at freeze (0 = D0, 3 = D3hot); default: as the guest left it. */
  readonly powerState?: 0 | 3;
}

export interface FreezeResult {
  readonly ok: boolean;
  readonly gates: readonly FreezeGate[];
  /** The guest-side writes before freeze (interrupts disabled, power state). */
  readonly userspace: WriteLog;
}

const EINVAL = -22;

/** Userspace before the kexec: VFIO_DEVICE_SET_IRQS count 0 (vfio_msi_disable -> pci_free_irq_vectors), optional D3hot. */
async function userspaceBeforeKexec(access: FunctionAccess, c: FreezeConditions): Promise<WriteLog> {
  const log = new WriteLog();
  const d = await kexecDev(access, log);
  if (!c.irqsEnabled) await pciFreeIrqVectors(d);
  if (c.powerState === 3 && d.pmCap) {
    const pmcsr = await stepRead(d, d.pmCap + PCI_PM_CTRL, 2);
    await stepWrite(d, 'vfio_pci_set_power_state', d.pmCap + PCI_PM_CTRL, 2, (pmcsr & ~3) | 3, 'userspace put the device in D3hot (VFIO_DEVICE_FEATURE low power)');
  }
  return log;
}

function powerState(fn: PciFunction): number {
  const pm = capabilityById(fn, PCI_CAP_ID_PM, false);
  return pm ? fn.space.read(pm.offset + PCI_PM_CTRL, 2) & 3 : 0;
}

/** vfio_pci_liveupdate freeze() in kernel A, on the open-time state `open` (vfio_pci_core_enable's). */
export async function vfioPciLiveupdateFreeze(A: KernelProfile, dev: PciDev, fn: PciFunction, access: FunctionAccess, open: VfioOpen, c: FreezeConditions, notes: string[]): Promise<FreezeResult> {
  const userspace = await userspaceBeforeKexec(access, c);
  const gates: FreezeGate[] = [];
  const refuse = (gate: FreezeGateName, why: string): FreezeResult => {
    gates.push({ gate, verdict: 'refused', why });
    for (const g of ['pci_load_saved_state', 'pci_clear_master', 'vfio_pci_core_try_reset', 'pci_restore_state', 'handover'] as const) {
      if (!gates.some((x) => x.gate === g)) gates.push({ gate: g, verdict: 'skipped', why: 'not reached: freeze failed, liveupdate_reboot aborts the kexec and kernel A keeps running' });
    }
    return { ok: false, gates, userspace };
  };
  if (c.irqsEnabled) return refuse('interrupts disabled', `-EINVAL: interrupts still enabled (irq_type != VFIO_PCI_NUM_IRQS); userspace must disable them with VFIO_DEVICE_SET_IRQS before the kexec`);
  gates.push({ gate: 'interrupts disabled', verdict: 'passed', why: 'userspace disabled the interrupts (VFIO_DEVICE_SET_IRQS count 0: MSI-X off)' });
  const state = powerState(fn);
  if (state !== 0) return refuse('device in D0', `-EINVAL: device in D${state}, not D0`);
  gates.push({ gate: 'device in D0', verdict: 'passed', why: 'PMCSR reads D0' });
  let loadError: string | undefined;
  await dev.log.run('vfio_pci_liveupdate_freeze', async () => {
    const res = pciLoadSavedState(dev.saved, open.savedState);
    if (res.ret !== 0) {
      loadError = `${res.ret === EINVAL ? '-EINVAL' : res.ret}: the open-time state did not load; freeze returns the error`;
      return;
    }
    gates.push({ gate: 'pci_load_saved_state', verdict: 'passed', why: open.savedState ? 'open-time pci_saved_state loaded' : 'no open-time state (pci_store_saved_state returned NULL): nothing loaded' });
    await pciClearMaster(dev);
    gates.push({ gate: 'pci_clear_master', verdict: 'passed', why: 'bus master off: no DMA across the kexec' });
    if (open.resetWorks) {
      const r = resetLocked(fn, predictFor(fn, A.id).lockedResetMethod, notes);
      gates.push({ gate: 'vfio_pci_core_try_reset', verdict: 'passed', why: `reset_works: ${r ? r.kind : 'no'} reset` });
    } else {
      gates.push({ gate: 'vfio_pci_core_try_reset', verdict: 'skipped', why: 'reset_works=false: no reset (a no-op, not a refusal)' });
    }
    await pciRestoreState(A, dev);
    gates.push({ gate: 'pci_restore_state', verdict: 'passed', why: `${A.id} restored the open-time state before the kexec` });
  });
  if (loadError) return refuse('pci_load_saved_state', loadError);
  gates.push({ gate: 'handover', verdict: 'passed', why: 'vfio-pci-v1 carries the identity {domain, bdf} only: no config space, no reset_works' });
  return { ok: true, gates, userspace };
}

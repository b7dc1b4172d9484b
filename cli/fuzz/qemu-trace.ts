/**
 * The qemu oracle's `trace` kind: the model's config writes against QEMU's pci_cfg_write trace of
 * the sample's run, write by write per phase and function (the real cycle's writeTrace.comparison,
 * sim/write-log/compare.ts). A write only one side made is a difference, except two classes the
 * model names and does not predict (docs/real-run.md):
 *  - the MSI message address and data written at allocation and request_irq (msi_domain_activate,
 *    msi_set_affinity through pci_write_msg_msi, which writes Message Control first, at the lowest
 *    offset of those writes): the model writes the registers, the guest's vector allocator picks
 *    the values (sim/predict/unpredictable.ts 'vector-allocator'), so a model write and a real
 *    write at the same phase, function and offset above Message Control are one register with
 *    two values;
 *  - on a 6.x kernel B, one LNKCTL write per PCIe function below a link in its boot, of the value
 *    it holds, that no 6.x kernel function of the model explains: a real-only write in boot B at
 *    the offset where the model wrote that function's LNKCTL (its common-clock step).
 */
import type { PhasedWrite } from '../../sim/write-log/entry.js';
import type { WriteLogComparison } from '../../sim/write-log/compare.js';

/** Model steps that write a function's own LNKCTL at enumeration. */
const LNKCTL_STEPS: ReadonlySet<string> = new Set(['pcie_aspm_configure_common_clock', 'pci_configure_rcb']);

/** Model steps that write an MSI message with a vector the allocator chose (sim/kexec-sim/irq.ts). */
const MSI_MESSAGE_STEPS: ReadonlySet<string> = new Set(['msi_domain_activate', 'msi_set_affinity']);

const at = (w: PhasedWrite) => `${w.phase}|${w.device}|${w.space}|${w.offset}`;
const fnAt = (w: PhasedWrite) => `${w.phase}|${w.device}`;

/** The model's allocator-chosen MSI message writes: above the Message Control write of their steps, per phase and function. */
function msiMessageWrites(model: readonly PhasedWrite[]): (w: PhasedWrite) => boolean {
  const control = new Map<string, number>();
  for (const w of model) if (w.fn !== null && MSI_MESSAGE_STEPS.has(w.fn)) control.set(fnAt(w), Math.min(control.get(fnAt(w)) ?? Infinity, w.offset));
  return (w) => w.fn !== null && MSI_MESSAGE_STEPS.has(w.fn) && w.offset > (control.get(fnAt(w)) ?? Infinity);
}

/** The writes only one side made that no named class explains. */
export function unexplainedWrites(c: WriteLogComparison, kernelB: string): { onlyModel: PhasedWrite[]; onlyReal: PhasedWrite[] } {
  const isMessage = msiMessageWrites([...c.matched.map((m) => m.model), ...c.onlyModel]);
  const msiModel = new Set(c.onlyModel.filter(isMessage).map(at));
  const msiReal = new Set(c.onlyReal.filter((w) => msiModel.has(at(w))).map(at));
  const lnkctl = new Set([...c.matched.map((m) => m.model), ...c.onlyModel].filter((w) => w.phase === 'boot B' && w.fn !== null && LNKCTL_STEPS.has(w.fn)).map(at));
  const sixX = kernelB.startsWith('6.');
  return {
    onlyModel: c.onlyModel.filter((w) => !(isMessage(w) && msiReal.has(at(w)))),
    onlyReal: c.onlyReal.filter((w) => !msiReal.has(at(w)) && !(sixX && lnkctl.has(at(w)))),
  };
}

/**
 * The qemu oracle's `trace` kind: the model's config writes against QEMU's pci_cfg_write trace of
 * the sample's run, write by write per phase and function (the real cycle's writeTrace.comparison,
 * sim/write-log/compare.ts). A write only one side made is a difference, except the one class the
 * model names and does not predict (docs/real-run.md):
 *  - the MSI message address and data written at allocation and request_irq (msi_domain_activate,
 *    msi_set_affinity through pci_write_msg_msi, which writes Message Control first, at the lowest
 *    offset of those writes): the model writes the registers, the guest's vector allocator picks
 *    the values (sim/predict/unpredictable.ts 'vector-allocator'), so a model write and a real
 *    write at the same phase, function and offset above Message Control are one register with
 *    two values.
 * Until 2026-12-08 a second class was left out: the LNKCTL write a 6.x kernel B made on every
 * Endpoint below a Root Port. It is pci_configure_rcb, in the stable trees since 6.1.165 and
 * 6.12.75 (sim/kexec-sim/versions.ts configureRcb), and the model makes it now.
 */
import type { PhasedWrite } from '../../sim/write-log/entry.js';
import type { WriteLogComparison } from '../../sim/write-log/compare.js';

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
export function unexplainedWrites(c: WriteLogComparison): { onlyModel: PhasedWrite[]; onlyReal: PhasedWrite[] } {
  const isMessage = msiMessageWrites([...c.matched.map((m) => m.model), ...c.onlyModel]);
  const msiModel = new Set(c.onlyModel.filter(isMessage).map(at));
  const msiReal = new Set(c.onlyReal.filter((w) => msiModel.has(at(w))).map(at));
  return {
    onlyModel: c.onlyModel.filter((w) => !(isMessage(w) && msiReal.has(at(w)))),
    onlyReal: c.onlyReal.filter((w) => !msiReal.has(at(w))),
  };
}

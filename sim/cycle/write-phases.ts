/**
 * The model's cycle timeline in the phases a real run can tell apart (sim/write-log/entry.ts
 * WRITE_PHASES), so compareWriteLogs can set it beside QEMU's pci_cfg_write trace:
 *   firmware    the firmware steps of 'enumerate A' and 'operate' (fn 'firmware:...', SeaBIOS)
 *   boot A      the rest of them: kernel A's enumeration and its driver (or vfio-pci and its guest)
 *   save A      'save A' (pci_save_state writes nothing; the lu-series and vfio-lu freeze in A)
 *   shutdown A  'kexec': kernel A's shutdown and a reset during the kexec
 *   boot B      'enumerate B': kernel B's enumeration
 *   restore B   'restore B': B's restore (VFIO flows: B's vfio_pci_core_enable/_disable)
 * The model has no 'unbind B' writes: in its plain flow no driver binds the preserved device in
 * kernel B, so nothing unbinds it (the real run's unbind is predicted by kexec/run/real-model.ts
 * predictUnbind; place its log with inPhase('unbind B', ...)).
 */
import type { PhasedWrite, WritePhase } from '../write-log/entry.js';
import type { CycleResult, TimelineEntry } from './run.js';

const FIRMWARE = 'firmware:';

export function cycleWritePhase(t: TimelineEntry): WritePhase {
  switch (t.phase) {
    case 'enumerate A':
    case 'operate': return t.step.startsWith(FIRMWARE) ? 'firmware' : 'boot A';
    case 'save A': return 'save A';
    case 'kexec': return 'shutdown A';
    case 'enumerate B': return 'boot B';
    case 'restore B': return 'restore B';
  }
}

/**
 * Every timeline write of a cycle as a phased write record. Devices are named by bus:slot.fn
 * (the result's bdf and its parent's), as QEMU's trace names them.
 */
export function cycleWriteLog(r: Pick<CycleResult, 'timeline' | 'bdf' | 'parent'>): PhasedWrite[] {
  const name = (t: TimelineEntry) => (t.target === 'parent' && r.parent ? r.parent.bdf : r.bdf);
  return r.timeline.map((t) => ({
    phase: cycleWritePhase(t),
    fn: t.step,
    device: name(t),
    space: t.space,
    ...(t.bar === undefined ? {} : { bar: t.bar }),
    offset: t.offset,
    width: t.width,
    value: t.value,
  }));
}

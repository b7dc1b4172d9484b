/**
 * A cycle test under `--qemu`, judged on the real cycle (kexec/run/real-cycle.ts) of its device: the
 * case's expectations on what the real kernels did (`qemu.KEY`), and the model's prediction for
 * that same run against reality (`model = qemu (...)`): the blob kernel A's pci_store_saved_state
 * wrote, kernel B's pci_load_saved_state return, the state B's pci_restore_state left, and each
 * field's verdict. Each disagreement names the registers, the model's value and the kernel's.
 */
import type { DeviceResult, RealCycleReport } from '../../kexec/run/real-cycle-report.js';
import type { FieldOutcome } from '../../sim/cycle/verdict.js';
import { checkCycle, type CycleOutcome } from '../../sim/suite/expect.js';
import { COUNTED_VERDICTS, type Check, type Expectations } from '../../sim/suite/types.js';

const hex = (v: number, w: number) => `0x${v.toString(16).padStart(w, '0')}`;

/**
 * The real run classifies the carried device only, not the root port above it (the model's
 * `parent:` fields): those expectations stay the model's, and the note says so.
 */
function deviceOnly(e: Expectations): { expect: Expectations; dropped: string[] } {
  const dropped: string[] = [];
  const keep = (n: string) => (n.startsWith('parent:') ? (dropped.push(n), false) : true);
  const out: Record<string, unknown> = { ...e };
  for (const v of COUNTED_VERDICTS) {
    const want = e[v];
    if (Array.isArray(want)) out[v] = (want as readonly string[]).filter(keep);
  }
  if (e.fields) out.fields = Object.fromEntries(Object.entries(e.fields).filter(([n]) => keep(n)));
  return { expect: out as Expectations, dropped };
}

/**
 * The real outcome in the shape checkCycle reads. The report lists the fields that changed; a
 * field of the device it does not list stayed unchanged (the model's run names the device's fields).
 */
function realOutcome(d: DeviceResult, modelFields: readonly FieldOutcome[]): CycleOutcome {
  const changed = d.fields ?? [];
  const same = (a: FieldOutcome, b: FieldOutcome) => a.register === b.register && a.field === b.field;
  const unchanged = modelFields.filter((m) => m.function === 'dev' && !changed.some((r) => same(r, m)))
    .map((m) => ({ ...m, verdict: 'unchanged' as const, rule: 'unchanged on the real run' }));
  const k = d.kernel?.load;
  const load = k
    ? { ret: k.ret, ...(k.ret !== 0 ? { error: `kernel B's pci_load_saved_state returned ${k.ret}${k.refusedAt ? `, refused at ${k.refusedAt}` : ''}` } : {}) }
    : { ret: d.load?.ret ?? 0, ...(d.load?.error ? { error: d.load.error } : {}) };
  return { load, fields: [...changed, ...unchanged], options: { flow: 'plain' } };
}

/** The model's prediction for this very run (from kernel A's capture) against what the kernels did. */
function agreement(d: DeviceResult, release: string): Check[] {
  const checks: Check[] = [];
  const k = d.kernel;
  if (k) {
    const s = k.save;
    const blobOk = s.model !== null && s.model.size === s.real.size && s.differences.length === 0;
    checks.push({
      key: 'model = qemu (blob)', pass: blobOk, expected: `${s.real.size} bytes`, actual: s.model ? `${s.model.size} bytes, ${s.differences.length} differ` : 'no blob',
      why: blobOk ? `the model stores what ${release.split(' -> ')[0]}'s pci_store_saved_state stored` : s.differences.map((x) => `blob byte ${x.offset} (${x.where} ${x.register}): kernel ${hex(x.real, 2)}, model ${hex(x.model, 2)} [${x.why}]`).join('; ') || 'the model stores no blob',
    });
    checks.push({
      key: 'model = qemu (load)', pass: k.load.ret === k.load.model.ret, expected: k.load.ret, actual: k.load.model.ret,
      why: `kernel B's pci_load_saved_state returned ${k.load.ret}${k.load.refusedAt ? ` (refused at ${k.load.refusedAt})` : ''}; the model's ${k.load.model.ret}${k.load.model.error ? ` (${k.load.model.error})` : ''}`,
    });
    const r = k.restoredVsPredicted;
    checks.push({
      key: 'model = qemu (restored state)', pass: r.length === 0, expected: 'the kernel\'s restored registers', actual: r.length === 0 ? 'the same' : `${r.length} registers differ`,
      why: r.length === 0 ? 'kernel B\'s pci_restore_state left what the model predicts' : r.map((x) => `${x.register} @${hex(x.offset, 3)}: kernel ${hex(x.real, x.width * 2)}, model ${hex(x.predicted, x.width * 2)}`).join('; '),
    });
  }
  const m = d.modelDifferences ?? [];
  checks.push({
    key: 'model = qemu (verdicts)', pass: m.length === 0, expected: 'the real verdict of every field', actual: m.length === 0 ? 'the same' : `${m.length} fields differ`,
    why: m.length === 0 ? `the model's cycle from kernel A's capture ends as the real one (${release})` : m.map((x) => `${x.register}.${x.field}: kernel ${x.real.after} (${x.real.verdict}), model ${x.model.after} (${x.model.verdict})`).join('; '),
  });
  return checks;
}

/** The checks a cycle test gains from the real cycle of device `id`, and what the reader should know. */
export function judgeRealCycle(t: { readonly expect: Expectations }, report: RealCycleReport, id: string, modelFields: readonly FieldOutcome[]): { checks: Check[]; notes: string[] } {
  const d = report.devices.find((x) => x.id === id);
  const k = report.kernels;
  const release = k ? `Linux ${k.from.release} -> ${k.to.release}` : `${report.options.from} -> ${report.options.to}`;
  if (!d) {
    return { checks: [{ key: 'qemu', pass: false, expected: `a real cycle of ${id}`, actual: null, why: `the real cycle (${release}) has no result for ${id}` }], notes: [] };
  }
  const { expect, dropped } = deviceOnly(t.expect);
  const real = checkCycle(expect, realOutcome(d, modelFields)).map((c) => ({ ...c, key: `qemu.${c.key}`, why: `${c.why ? `${c.why}; ` : ''}${d.id} ${d.bdf} under ${release}` }));
  const saver = report.options.saver === 'kernel' ? 'saved and restored by the guest kernels (lusim_pci module)' : 'saved and restored by the kernels\' profiles over qtest';
  const accel = report.accelerator ? `, QEMU ${report.accelerator.name.toUpperCase()}` : '';
  const notes = [`real cycle: ${release}, ${report.options.format}, ${saver}${report.options.drift.length ? `, drift ${report.options.drift.join('; ')}` : ''}${accel}`];
  if (dropped.length) notes.push(`checked on the model only: ${dropped.join(', ')} (the real run classifies the device, not its root port)`);
  return { checks: [...real, ...agreement(d, release)], notes };
}

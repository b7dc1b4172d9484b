/**
 * The personality oracle (issue 10 "What it checks", last bullet): the model's spec and QEMU 7.2
 * personalities must agree wherever the QEMU profile does not deliberately differ.
 *
 * Where both apply: a case built from a real QEMU dump (`lusim fuzz --from-dump`, e.g.
 * fixtures/qemu/*.lspci) whose vendor:device has a QEMU 7.2 profile (devices/profiles/qemu-7.2.ts,
 * profileForDump 'auto'). Generated devices carry synthetic IDs, so no QEMU profile applies.
 * The case runs twice from the same bytes: on the spec function (the campaign's cycle) and on the
 * QEMU-profile function (`lusim cycle DUMP --profile auto`).
 *
 * The deliberate differences (docs/qemu-differences.md) enter the model at exactly four points:
 *   1. register attributes (AttributeOverride), QEMU's RW scratch bytes and its BAR sizes, which
 *      all end up in the compiled per-byte masks (devices/compile.ts ByteMasks);
 *   2. QEMU's write side effects (DeviceProfile.writeHooks, devices/profiles/qemu-7.2-writes.ts),
 *      each rewriting known registers (HOOK_EFFECTS);
 *   3. reset behaviour (devices/reset/qemu.ts, the 'qemu-7.2' personality and the device reset
 *      handlers): what a reset leaves differs almost everywhere;
 *   4. nothing else: the kernel steps, the formats and the classifier are shared code.
 * A field is personality-neutral when its bits have the same masks in both functions (1) and no
 * write hook of the QEMU function rewrites its register (2). For each neutral field of the device:
 *   - its operational value (before kernel A saves) and its value after the kexec (mid) must be
 *     equal, unless the cycle reset the device (3: --reset in the kexec window, or the reset a
 *     VFIO flow runs at open): then a difference there is the documented reset difference, and
 *     the field is not compared further;
 *   - with equal operational and mid values, its value after the restore and its verdict must be
 *     equal;
 * and the load result must be equal (the two kernels' buffers and blobs have the same sizes).
 *
 * Must hold: a neutral field that disagrees means shared code behaved differently under the two
 * personalities, or a personality changed something none of its declared differences covers:
 * lusim's bug (an undeclared QEMU difference is a profile bug too: the differential tests would
 * then disagree with real QEMU on one side), never a kernel hazard.
 */
import { buildFunction, type PciFunction } from '../../devices/device.js';
import type { DumpDevice } from '../../devices/dump/types.js';
import type { ByteMasks } from '../../devices/compile.js';
import type { DeviceProfile } from '../../devices/profile.js';
import { profileForDump } from '../../devices/profiles/index.js';
import { applyReset, ResetError, type ResetKind, type ResetReport } from '../../devices/reset/apply.js';
import type { ResetMethodName } from '../reset-methods/kernels.js';
import { resetKindOf } from '../cycle/reset-path.js';
import { runCycle, type CycleOptions, type CycleResult } from '../cycle/run.js';
import type { FieldOutcome } from '../cycle/verdict.js';
import type { Finding } from './oracles.js';

/** The registers each QEMU write hook rewrites beyond the masked store, by WriteHook.name. */
export const HOOK_EFFECTS: Readonly<Record<string, readonly string[]>> = {
  'qemu-7.2 msi_write_config': ['PCI_MSI_FLAGS'], // QSIZE clamped to QMASK
  'qemu-7.2 rp_aer_vector_update (ioh3420_aer_vector)': ['PCI_ERR_ROOT_STATUS'], // AER IRQ message number
  'qemu-7.2 pcie_cap_slot_write_config': ['PCI_EXP_SLTCTL', 'PCI_EXP_SLTSTA'], // EIC, EIS, CC, event bits
};

/** The QEMU 7.2 profile of a dump's vendor:device, when there is one. */
export function qemuProfileFor(dump: DumpDevice): DeviceProfile | undefined {
  const p = profileForDump(dump, 'auto');
  return p.personality === 'qemu-7.2' ? p : undefined;
}

const MASKS: readonly (keyof Omit<ByteMasks, 'size'>)[] = ['writable', 'w1c', 'w1s', 'sticky', 'hwinit', 'volatile', 'rsvdz', 'rsvdp', 'ro', 'selfClearing', 'resetValue', 'claimed'];

// Register names repeat (every capability has a PCI_CAP_LIST_ID): the offset tells them apart.
const key = (f: Pick<FieldOutcome, 'function' | 'offset' | 'register' | 'field'>) => `${f.function}|${f.offset}|${f.register}|${f.field}`;

/**
 * Fields of `spec`'s registers whose bits compile to the same masks on `qemu`, outside every
 * register a QEMU write hook rewrites. A hook the table does not know rewrites nothing declared,
 * so it excuses nothing (test/sim/fuzz/personality.test.ts checks every QEMU profile's hooks are known).
 */
export function neutralFields(spec: PciFunction, qemu: PciFunction): Set<string> {
  const hooked = new Set((qemu.profile.writeHooks?.(qemu.walk, qemu.space.bytes.length) ?? []).flatMap((h) => HOOK_EFFECTS[h.name] ?? []));
  const a = spec.space.layout;
  const b = qemu.space.layout;
  const out = new Set<string>();
  for (const reg of a.registers) {
    if (hooked.has(reg.name)) continue;
    const other = b.registers.find((r) => r.offset === reg.offset && r.name === reg.name);
    if (!other) continue;
    for (const fd of reg.fields) {
      const od = other.fields.find((f) => f.name === fd.name);
      if (!od || od.lo !== fd.lo || od.hi !== fd.hi) continue;
      if (sameBits(a.masks, b.masks, reg.offset, fd.lo, fd.hi)) out.add(key({ function: 'dev', offset: reg.offset, register: reg.name, field: fd.name }));
    }
  }
  return out;
}

function sameBits(a: ByteMasks, b: ByteMasks, offset: number, lo: number, hi: number): boolean {
  for (let bit = lo; bit <= hi; bit++) {
    const at = offset + (bit >> 3);
    const m = 1 << (bit & 7);
    if (MASKS.some((k) => (a[k][at] & m) !== (b[k][at] & m))) return false;
  }
  return true;
}

export type PersonalityCycle = Pick<CycleResult, 'fields' | 'load' | 'notes' | 'options'>;

/** The reset kinds a cycle put the device through: --reset in the kexec window, and every method it reset with. */
export function cycleResets(r: PersonalityCycle): Set<ResetKind> {
  const kinds = new Set<ResetKind>(r.options.reset ? [r.options.reset] : []);
  for (const n of r.notes) {
    const m = /^reset via (\w+) /.exec(n);
    if (m) kinds.add(resetKindOf(m[1] as ResetMethodName));
  }
  return kinds;
}

/**
 * Fields a reset of one of `kinds` leaves differently under the two personalities (3): each reset
 * applied to the device under both profiles, from its bytes and from its bytes with every
 * writable bit inverted, so that a field one personality resets to a value and the other keeps
 * (or resets to another value) differs in at least one of the two.
 */
export function resetDeviated(dump: DumpDevice, qemu: DeviceProfile, kinds: Iterable<ResetKind>): Set<string> {
  const out = new Set<string>();
  const masks = buildFunction(dump).space.layout.masks;
  const inverted = dump.bytes.map((b, i) => b ^ (i < masks.size ? masks.writable[i] | masks.w1c[i] | masks.w1s[i] : 0));
  for (const kind of kinds) {
    for (const bytes of [dump.bytes, inverted]) {
      const probe = { ...dump, bytes };
      let a: ResetReport;
      let b: ResetReport;
      try {
        a = applyReset(buildFunction(probe), kind);
        b = applyReset(buildFunction(probe, qemu), kind);
      } catch (e) {
        if (e instanceof ResetError) continue; // no PM capability: neither cycle could run this reset
        throw e;
      }
      const after = new Map(b.fields.map((f) => [`${f.offset}|${f.register}|${f.field}`, f.after]));
      for (const f of a.fields) if (after.get(`${f.offset}|${f.register}|${f.field}`) !== f.after) out.add(key({ function: 'dev', offset: f.offset, register: f.register, field: f.field }));
    }
  }
  return out;
}

const show = (f: FieldOutcome) => `${f.register}.${f.field}`;

/**
 * The personality findings of one case: the spec cycle against the QEMU-profile cycle, over the
 * fields neutral to both (`neutral`, minus those the cycles' resets treat differently: `deviated`).
 */
export function judgePersonality(spec: PersonalityCycle, qemu: PersonalityCycle, neutral: ReadonlySet<string>, deviated: ReadonlySet<string> = new Set()): Finding[] {
  if (spec.load.ret !== qemu.load.ret) {
    return [{ oracle: 'personality', kind: 'load', registers: [], detail: `pci_load_saved_state returned ${spec.load.ret} under spec, ${qemu.load.ret} under the QEMU profile` }];
  }
  const other = new Map(qemu.fields.map((f) => [key(f), f]));
  const bad: { kind: string; text: string; register: string }[] = [];
  for (const s of spec.fields) {
    if (s.function !== 'dev' || !neutral.has(key(s)) || deviated.has(key(s))) continue;
    const q = other.get(key(s));
    if (!q) continue;
    if (s.before !== q.before) bad.push({ kind: 'operational', register: s.register, text: `${show(s)} operational ${s.before} (spec) vs ${q.before} (qemu)` });
    else if (s.mid !== q.mid) bad.push({ kind: 'kexec', register: s.register, text: `${show(s)} after the kexec ${s.mid} (spec) vs ${q.mid} (qemu)` });
    else if (s.after !== q.after || s.verdict !== q.verdict) bad.push({ kind: 'restore', register: s.register, text: `${show(s)} ${s.verdict} ${s.mid}->${s.after} (spec) vs ${q.verdict} ${q.mid}->${q.after} (qemu)` });
  }
  if (!bad.length) return [];
  const kind = bad[0].kind;
  const same = bad.filter((b) => b.kind === kind);
  return [{
    oracle: 'personality', kind, registers: [...new Set(same.map((b) => b.register))].sort(),
    detail: `a personality-neutral field disagrees between the spec and QEMU 7.2 profiles: ${same.slice(0, 3).map((b) => b.text).join('; ')}${same.length > 3 ? `, +${same.length - 3}` : ''}`,
  }];
}

/**
 * The personality oracle on one case: `spec` is the cycle the campaign ran on the spec function of
 * `dump` with `options`; the same cycle runs again on its QEMU-profile function (`profile`: the
 * dump's own, or a test's). No findings when no QEMU profile applies (generated devices).
 */
export async function judgeCasePersonality(dump: DumpDevice, options: CycleOptions, spec: CycleResult, profile: DeviceProfile | undefined = qemuProfileFor(dump)): Promise<Finding[]> {
  if (!profile) return [];
  const fn = buildFunction(dump, profile);
  const qemu = await runCycle(fn, options);
  const deviated = resetDeviated(dump, profile, new Set([...cycleResets(spec), ...cycleResets(qemu)]));
  return judgePersonality(spec, qemu, neutralFields(buildFunction(dump), fn), deviated);
}

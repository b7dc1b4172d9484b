/**
 * The register-attribute differential: every register the model declares for a function (header
 * and each capability, compiled layout) gets all-ones, then all-zeros, then its original value,
 * written through qtest into QEMU and through ConfigSpace.write into the model. After every write
 * the whole 4 KiB of both are compared byte for byte (a write can change another register: QEMU's
 * side effects), every differing byte is recorded against that write, and the model is then
 * re-synchronised to QEMU's bytes so that one difference is reported once, by the write that
 * caused it, and never cascades.
 */
import type { Width } from '../../../devices/access.js';
import type { RegisterDef } from '../../../devices/registers.js';
import type { FixtureRig } from './qemu-fixture.js';

export interface Difference {
  readonly fixture: string;
  /** The register written (a register name, or `scratch@0xNN` for an unclaimed byte range). */
  readonly wrote: string;
  readonly value: number;
  /** Byte that differs afterwards, its owner register in the model (undefined: unclaimed). */
  readonly offset: number;
  readonly at: string | undefined;
  readonly qemu: number;
  readonly model: number;
}

/** A write the test leaves out or trims, with the reason (the bits in `avoid` are never written as 1). */
export interface WritePolicy {
  readonly skip?: string;
  readonly avoid?: number;
}

export interface DiffRun {
  readonly differences: Difference[];
  /** Registers written (all-ones, all-zeros, original) and skipped, with why. */
  readonly written: string[];
  readonly skipped: { register: string; why: string }[];
  scratchBytes: number;
}

const ones = (w: Width): number => (w === 4 ? 0xffffffff : (1 << (8 * w)) - 1);

/** Bytes never read or compared: reading them has side effects (see the caller's reason). */
export type Blind = (offset: number) => boolean;

export async function runAttributeDiff(
  rig: FixtureRig,
  policy: (reg: RegisterDef) => WritePolicy,
  scratchOffsets: readonly number[],
  blind: Blind,
): Promise<DiffRun> {
  const { fn, cfg } = rig;
  const name = rig.topology.name;
  const run: DiffRun = { differences: [], written: [], skipped: [], scratchBytes: 0 };

  const compare = async (wrote: string, value: number): Promise<void> => {
    const real = await cfg.snapshot();
    const model = fn.space.bytes;
    for (let i = 0; i < real.length; i++) {
      if (blind(i) || real[i] === model[i]) continue;
      run.differences.push({ fixture: name, wrote, value, offset: i, at: fn.space.layout.registerAt[i]?.name, qemu: real[i], model: model[i] });
    }
    // Re-synchronise (hardware-side store, no masks): the next write starts from QEMU's bytes.
    for (let i = 0; i < real.length; i++) if (!blind(i)) fn.space.bytes[i] = real[i];
  };

  const writeBoth = async (label: string, offset: number, width: Width, value: number): Promise<void> => {
    if (width === 1) await cfg.writeb(offset, value);
    else if (width === 2) await cfg.writew(offset, value);
    else await cfg.writel(offset, value);
    fn.space.write(offset, width, value);
    await compare(label, value);
  };

  await compare('initial state', 0);
  const regs = [...fn.space.layout.registers].sort((a, b) => a.offset - b.offset);
  for (const reg of regs) {
    const p = policy(reg);
    if (p.skip !== undefined) {
      run.skipped.push({ register: reg.name, why: p.skip });
      continue;
    }
    const original = fn.space.read(reg.offset, reg.width);
    const allOnes = (ones(reg.width) & ~(p.avoid ?? 0)) >>> 0;
    await writeBoth(reg.name, reg.offset, reg.width, allOnes);
    await writeBoth(reg.name, reg.offset, reg.width, 0);
    await writeBoth(reg.name, reg.offset, reg.width, original & ~(p.avoid ?? 0));
    run.written.push(reg.name);
  }

  for (const offset of scratchOffsets) {
    const label = `scratch@${offset.toString(16)}`;
    const original = fn.space.read(offset, 1);
    await writeBoth(label, offset, 1, 0xff);
    await writeBoth(label, offset, 1, 0);
    await writeBoth(label, offset, 1, original);
    run.scratchBytes++;
  }
  return run;
}

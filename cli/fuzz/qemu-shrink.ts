/**
 * Shrinking a qemu finding (issue 10: each distinct finding is shrunk to a minimal device): from
 * the sample that showed it, greedily take the first simpler sample (sim/fuzz/qemu-sample.ts
 * simplerSamples: one branch, a later function, one switch, then one property fewer) whose real run shows the
 * same signature (QemuFinding.shrunk then names the first sample and the runs spent),
 * until none does or the budget is spent. Every candidate is a real run (a boot, a kexec and a
 * boot). `jobs` candidates run at a time, and the budget is charged in candidate order up to the
 * one kept, so the sample reached does not depend on `jobs` (a step with jobs > 1 may run up to
 * jobs - 1 candidates past the one kept, which it does not charge).
 * A run-failed finding is not shrunk: a boot that timed out says nothing about the layout.
 */
import type { QemuSample } from '../../sim/fuzz/qemu-sample.js';
import { simplerSamples } from '../../sim/fuzz/qemu-sample.js';
import { atATime } from '../at-a-time.js';
import { judgeQemuSample, type QemuFinding, type SampleRunner } from './qemu.js';

export interface QemuShrinkOptions {
  /** Candidates one shrink may try, in order (each a real run). */
  readonly budget: number;
  readonly jobs: number;
  readonly run: SampleRunner;
  readonly progress: (line: string) => void;
}

/** The first of `candidates` whose real run shows `signature`, running `jobs` at a time in order. */
async function firstKeeping(candidates: readonly QemuSample[], signature: string, o: QemuShrinkOptions, ran: () => void): Promise<{ at: number; finding: QemuFinding } | undefined> {
  for (let at = 0; at < candidates.length; at += o.jobs) {
    const batch = candidates.slice(at, at + o.jobs);
    const shown: (QemuFinding | undefined)[] = [];
    await atATime(batch, o.jobs, async (c, i) => {
      ran();
      shown[i] = judgeQemuSample(c, await o.run(c)).find((f) => f.signature === signature);
    });
    const hit = shown.findIndex((f) => f !== undefined);
    if (hit >= 0) return { at: at + hit, finding: shown[hit]! };
  }
  return undefined;
}

/** `found`, first seen on `first`, shrunk to the simplest sample that still shows it. */
export async function shrinkQemuFinding(found: QemuFinding, first: QemuSample, o: QemuShrinkOptions): Promise<QemuFinding> {
  if (found.kind === 'run-failed' || o.budget <= 0) return found;
  let current = first;
  let finding = found;
  let charged = 0;
  let runs = 0;
  for (;;) {
    const candidates = simplerSamples(current).slice(0, o.budget - charged);
    const kept = candidates.length ? await firstKeeping(candidates, found.signature, o, () => runs++) : undefined;
    if (!kept) break;
    charged += kept.at + 1;
    current = candidates[kept.at];
    finding = kept.finding;
    o.progress(`  shrinking qemu/${found.kind} of sample ${first.index + 1}: ${current.devices.join(' ')} still shows it (${charged}/${o.budget} candidates, ${runs} real runs)`);
  }
  return { ...finding, shrunk: { from: first.devices, runs } };
}

/** Every finding of a qemu run shrunk in turn (in sample order), each from its own first sample. */
export async function shrinkQemuFindings(findings: readonly QemuFinding[], samples: readonly QemuSample[], o: QemuShrinkOptions): Promise<QemuFinding[]> {
  const out: QemuFinding[] = [];
  for (const f of findings) out.push(await shrinkQemuFinding(f, samples[f.sample], o));
  return out;
}

/**
 * What the guest kernels really wrote: QEMU's `pci_cfg_write` trace (parsed by
 * sim/write-log/qemu-trace.ts), split into the steps of the real cycle by the trace file's length
 * at each step boundary, each step placed in a write-log phase (writePhaseOf). The trace prints no
 * width; one line is one config write of 1, 2 or 4 bytes. lusim's own qtest writes from the host
 * go through the same path and appear too (the host saver's), in the phase that made them.
 *
 * Phase boundaries are only as fine as the host can see them: everything before kernel A's agent
 * answers (SeaBIOS, kernel A's enumeration and its drivers' probes) is one phase, `boot A`;
 * likewise `kexec + boot B` runs from A's shutdown to B's agent.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { PhasedWrite, WritePhase } from '../sim/write-log/entry.js';
import { parsePciCfgWrite, pciCfgWriteRecord } from '../sim/write-log/qemu-trace.js';

/**
 * The write-log phase of each step of the real run. The host cannot see inside `kexec + boot B`,
 * so kernel A's shutdown and kernel B's boot are one phase there, `boot B`; before kernel A's agent
 * answers, firmware and kernel A's boot are one phase, `boot A`.
 */
export function writePhaseOf(step: string): WritePhase {
  if (step === 'boot A' || step.startsWith('capture A') || step.startsWith('module load A')) return 'boot A';
  if (step.startsWith('save A') || step === 'handover write') return 'save A';
  if (step.startsWith('unbind B') || step === 'capture before restore' || step === 'module load B') return 'unbind B';
  if (step.startsWith('restore B') || step === 'capture final' || step === 'diff') return 'restore B';
  return 'boot B';
}

export interface TracedWrite extends PhasedWrite {
  /** QEMU's device model name (`nvme`, `pcie-root-port`). */
  readonly model: string;
  /** The real run's phase the write was logged in (a step name of kexec/real-cycle.ts). */
  readonly step: string;
}

export class WriteTrace {
  private readonly marks: { phase: string; at: number }[] = [];

  constructor(readonly file: string) {}

  private size(): number {
    return existsSync(this.file) ? statSync(this.file).size : 0;
  }

  /** From here on, lines belong to `phase`. */
  mark(phase: string): void {
    this.marks.push({ phase, at: this.size() });
  }

  /** Every traced write so far, attributed to the phase it was logged in. */
  read(): TracedWrite[] {
    if (!existsSync(this.file)) return [];
    const text = readFileSync(this.file);
    const out: TracedWrite[] = [];
    const bounds = [{ phase: 'boot A', at: 0 }, ...this.marks, { phase: '', at: text.length }];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const chunk = text.subarray(bounds[i]!.at, bounds[i + 1]!.at).toString('utf8');
      for (const line of chunk.split('\n')) {
        const w = parsePciCfgWrite(line.trim());
        const step = bounds[i]!.phase;
        if (w) out.push({ ...pciCfgWriteRecord(w, writePhaseOf(step)), model: w.qemuDevice, step });
      }
    }
    return out;
  }
}

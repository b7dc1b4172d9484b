/**
 * What the guest kernels really wrote: QEMU's `pci_cfg_write` trace (parsed by
 * sim/write-log/qemu-trace.ts), split into the steps of the real cycle by the trace file's length
 * at each step boundary, each step placed in a write-log phase (writePhaseOf). The trace prints no
 * width; one line is one config write of 1, 2 or 4 bytes. lusim's own qtest writes from the host
 * go through the same path and appear too (the host saver's), in the phase that made them.
 *
 * Phase boundaries are only as fine as the host can see them: SeaBIOS's writes end at its last
 * fw_cfg select (the `firmware` step); kernel A's enumeration and its drivers' probes are one step,
 * `boot A`; likewise `kexec + boot B` runs from A's shutdown to B's agent.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { PhasedWrite, WritePhase } from '../sim/write-log/entry.js';
import { parsePciCfgWrite, pciCfgWriteRecord } from '../sim/write-log/qemu-trace.js';

/**
 * The write-log phase of each step of the real run. The host cannot see inside `kexec + boot B`,
 * so kernel A's shutdown and kernel B's boot are one phase there, `boot B`; before kernel A's agent
 * answers, SeaBIOS's writes are `firmware` and the rest kernel A's boot, `boot A`.
 */
export function writePhaseOf(step: string): WritePhase {
  if (step === 'firmware') return 'firmware';
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

const FW_CFG_SELECT = Buffer.from('fw_cfg_select ');

/**
 * Before the first mark (kernel A's agent answering), the writes up to SeaBIOS's last fw_cfg
 * select are the firmware's, the rest kernel A's boot; without a select, all of it is `boot A`.
 */
function firmwareSplit(text: Buffer, firstMark: number): { phase: string; at: number }[] {
  const last = text.subarray(0, firstMark).lastIndexOf(FW_CFG_SELECT);
  if (last < 0) return [{ phase: 'boot A', at: 0 }];
  const eol = text.indexOf(0x0a, last);
  return [{ phase: 'firmware', at: 0 }, { phase: 'boot A', at: eol < 0 ? firstMark : Math.min(eol + 1, firstMark) }];
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
    const bounds = [...firmwareSplit(text, this.marks[0]?.at ?? text.length), ...this.marks, { phase: '', at: text.length }];
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

/**
 * What the guest kernels really wrote: QEMU's `pci_cfg_write` trace (hw/pci/trace-events:
 * "%s %02u:%02u.%u @0x%x <- 0x%x", device model name, bus:slot.fn, offset, value), split into the
 * phases of the real cycle by the trace file's length at each phase boundary. The trace prints no
 * width; one line is one config write of 1, 2 or 4 bytes. lusim's own qtest writes from the host
 * go through the same path and appear too (the host saver's), in the phase that made them.
 *
 * Phase boundaries are only as fine as the host can see them: everything before kernel A's agent
 * answers (SeaBIOS, kernel A's enumeration and its drivers' probes) is one phase, `boot A`;
 * likewise `kexec + boot B` runs from A's shutdown to B's agent.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';

export interface TracedWrite {
  readonly phase: string;
  /** QEMU's device model name (`nvme`, `pcie-root-port`). */
  readonly model: string;
  /** bus:slot.fn as the trace prints it, slot and bus in decimal (`01:00.0`). */
  readonly bdf: string;
  readonly offset: number;
  readonly value: number;
}

const LINE = /(?:^|:)pci_cfg_write (\S+) (\d+):(\d+)\.(\d) @0x([0-9a-f]+) <- 0x([0-9a-f]+)$/;

/** One trace line, with or without the `PID@SECONDS:` prefix `-msg timestamp=on` adds. */
export function parseTraceLine(line: string, phase: string): TracedWrite | undefined {
  const m = LINE.exec(line.trim());
  if (!m) return undefined;
  const hex2 = (n: string) => Number(n).toString(16).padStart(2, '0');
  return { phase, model: m[1]!, bdf: `${hex2(m[2]!)}:${hex2(m[3]!)}.${m[4]}`, offset: parseInt(m[5]!, 16), value: parseInt(m[6]!, 16) };
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
        const w = parseTraceLine(line, bounds[i]!.phase);
        if (w) out.push(w);
      }
    }
    return out;
  }
}

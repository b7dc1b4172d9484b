/**
 * What the guest kernels really wrote: QEMU's `pci_cfg_write` trace (parsed by
 * sim/write-log/qemu-trace.ts), split into the phases of the real cycle (sim/write-log/entry.ts
 * WRITE_PHASES). The trace prints no width; one line is one config write of 1, 2 or 4 bytes.
 * lusim's own qtest writes from the host go through the same path and appear too (the host
 * saver's), in the phase that made them.
 *
 * Boundaries come from three sources, merged by their place in the file:
 * - the firmware: SeaBIOS's writes end at its last fw_cfg select (firmwareSplit);
 * - the guest: /init and the agent write a marker dword "LUS<c>" to the host bridge's read-only
 *   Vendor ID (kexec/agent/init mark), so the trace itself shows where the driver modules start
 *   loading (`d`) and where the agent starts the kexec (`k`); kernel B's boot starts at its first
 *   config write after `k`, to the host bridge 00:00.0, the first function its enumeration
 *   finds (probe.c pci_setup_device's pci_intx_mask_broken; seen on 6.1, 6.12 and 7.2);
 * - the host: the trace file's length when it starts each step it drives (mark).
 * Without the guest markers (an image without them), A's shutdown and B's boot stay one phase,
 * `boot B`, as the host alone cannot see inside the kexec.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { PhasedWrite, WritePhase } from '../../sim/write-log/entry.js';
import { parsePciCfgWrite, pciCfgWriteRecord, type PciCfgWrite } from '../../sim/write-log/qemu-trace.js';

/** The host bridge the markers are written to, and that kernel B's enumeration writes first. */
const HOST_BRIDGE = '00:00.0';
/** "LUS" in the marker dword's low three bytes (little-endian ASCII); the top byte says which. */
const MARKER_MAGIC = 0x53554c;

/** The guest marker a write is, if it is one: `d` modules, `a` agent, `k` kexec. */
export function guestMarker(w: PciCfgWrite): string | undefined {
  if (w.device !== HOST_BRIDGE || w.offset !== 0 || (w.value & 0xffffff) !== MARKER_MAGIC) return undefined;
  return String.fromCharCode(w.value >>> 24);
}

/**
 * Each step of the real run (kexec/run/real-cycle.ts `step(...)`) and each guest marker's, by the
 * kernel and phase its writes belong to. A step named with a qualifier (`save A (kernel)`,
 * `capture A ...`) is its name's. `enable VFs A` is kernel A's sriov_enable (`guest-vfs=N`),
 * before anything is captured; until 2026-12-08 no entry named it and its writes were put in
 * `drivers B`, where `lusim fuzz --qemu-trace` reported them as nvme's (seed 97).
 */
const STEP_PHASES: Readonly<Record<string, WritePhase>> = {
  'firmware': 'firmware',
  'boot A': 'boot A',
  'drivers A': 'drivers A', 'enable VFs A': 'drivers A', 'capture A': 'drivers A', 'module load A': 'drivers A',
  'save A': 'save A', 'handover write': 'save A', 'luo preserve': 'save A',
  'shutdown A': 'shutdown A',
  'boot B': 'boot B',
  'drivers B': 'drivers B', 'luo retrieve': 'drivers B', 'handover read': 'drivers B', 'capture B': 'drivers B', 'fidelity': 'drivers B',
  'unbind B': 'unbind B', 'capture before restore': 'unbind B', 'module load B': 'unbind B',
  'restore B': 'restore B', 'capture final': 'restore B', 'diff': 'restore B',
};

/** The table's names, longest first, so that of two names where one begins the other, the longer matches first. */
const STEP_NAMES: readonly string[] = Object.keys(STEP_PHASES).sort((a, b) => b.length - a.length);

/**
 * The write-log phase of a step. With `split` false (no kexec marker in the trace) the kexec step
 * is B's boot, A's shutdown included. A step the table does not know is a programming error
 * (test/kexec/qemu/write-trace.test.ts reads every step the run names).
 */
export function writePhaseOf(step: string, split = true): WritePhase {
  if (step === 'kexec + boot B') return split ? 'shutdown A' : 'boot B';
  const name = STEP_NAMES.find((k) => step === k || step.startsWith(`${k} `));
  if (name === undefined) throw new Error(`write-trace: no write-log phase for the run's step "${step}" (add it to STEP_PHASES)`);
  return STEP_PHASES[name]!;
}

export interface TracedWrite extends PhasedWrite {
  /** QEMU's device model name (`nvme`, `pcie-root-port`). */
  readonly model: string;
  /** The step the write was logged in: a host step of kexec/run/real-cycle.ts or a guest marker's. */
  readonly step: string;
}

/** Which boundaries the trace showed (the report says how finely it could split). */
export interface TraceSplit {
  readonly firmware: boolean;
  /** `d` markers: where each kernel's driver modules started loading. */
  readonly modules: number;
  readonly kexec: boolean;
  /** Kernel B's first config write was found after the kexec marker. */
  readonly bootB: boolean;
}

const FW_CFG_SELECT = Buffer.from('fw_cfg_select ');

interface Bound { readonly step: string; readonly at: number }

/**
 * Before the first host mark (kernel A's agent answering), the writes up to SeaBIOS's last fw_cfg
 * select are the firmware's, the rest kernel A's boot; without a select, all of it is `boot A`.
 */
function firmwareSplit(text: Buffer, firstMark: number): Bound[] {
  const last = text.subarray(0, firstMark).lastIndexOf(FW_CFG_SELECT);
  if (last < 0) return [{ step: 'boot A', at: 0 }];
  const eol = text.indexOf(0x0a, last);
  return [{ step: 'firmware', at: 0 }, { step: 'boot A', at: eol < 0 ? firstMark : Math.min(eol + 1, firstMark) }];
}

interface Line { readonly at: number; readonly write: PciCfgWrite }

function writeLines(text: string): Line[] {
  const out: Line[] = [];
  let at = 0;
  for (const raw of text.split('\n')) {
    const w = parsePciCfgWrite(raw.trim());
    if (w) out.push({ at, write: w });
    at += Buffer.byteLength(raw) + 1;
  }
  return out;
}

/** The guest's boundaries: its markers, and kernel B's first write after the kexec marker. */
function guestBounds(lines: readonly Line[]): { bounds: Bound[]; kexec: boolean; bootB: boolean; modules: number } {
  const bounds: Bound[] = [];
  let kexec = false;
  let awaitingB = false;
  let bootB = false;
  let modules = 0;
  for (const { at, write } of lines) {
    const m = guestMarker(write);
    if (m === 'd') {
      bounds.push({ step: kexec ? 'drivers B' : 'drivers A', at });
      modules++;
    } else if (m === 'k') {
      bounds.push({ step: 'shutdown A', at });
      kexec = awaitingB = true;
    } else if (m === undefined && awaitingB && write.device === HOST_BRIDGE) {
      bounds.push({ step: 'boot B', at });
      awaitingB = false;
      bootB = true;
    }
  }
  return { bounds, kexec, bootB, modules };
}

export class WriteTrace {
  private readonly marks: Bound[] = [];

  constructor(readonly file: string) {}

  private size(): number {
    return existsSync(this.file) ? statSync(this.file).size : 0;
  }

  /** From here on, lines belong to host step `step` (until the next host or guest boundary). */
  mark(step: string): void {
    this.marks.push({ step, at: this.size() });
  }

  /** Every traced write so far (guest markers left out), attributed to its step and phase. */
  read(): TracedWrite[] {
    return this.readSplit().writes;
  }

  readSplit(): { writes: TracedWrite[]; split: TraceSplit } {
    const none: TraceSplit = { firmware: false, modules: 0, kexec: false, bootB: false };
    if (!existsSync(this.file)) return { writes: [], split: none };
    const bytes = readFileSync(this.file);
    const lines = writeLines(bytes.toString('utf8'));
    const guest = guestBounds(lines);
    // Without kernel B's first write, what follows the kexec marker cannot be split: one phase.
    const split = guest.kexec && guest.bootB;
    const fw = firmwareSplit(bytes, this.marks[0]?.at ?? bytes.length);
    // Array.prototype.sort is stable: at one offset, the firmware's, then the host's, then the guest's.
    const bounds = [...fw, ...this.marks, ...guest.bounds.filter((b) => split || (b.step !== 'shutdown A' && b.step !== 'boot B'))]
      .sort((x, y) => x.at - y.at);
    const out: TracedWrite[] = [];
    let k = 0;
    for (const { at, write } of lines) {
      while (k + 1 < bounds.length && bounds[k + 1]!.at <= at) k++;
      if (guestMarker(write) !== undefined) continue;
      const step = bounds[k]!.step;
      out.push({ ...pciCfgWriteRecord(write, writePhaseOf(step, split)), model: write.qemuDevice, step });
    }
    return { writes: out, split: { firmware: fw.length > 1, modules: guest.modules, kexec: guest.kexec, bootB: guest.bootB } };
  }
}

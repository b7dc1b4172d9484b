/**
 * The host's side of lusim's guest module: each method is one `KPCI <verb> <arg>` agent command
 * (kexec/agent/agent.sh kpci) that writes the module's debugfs ctl file, and parses its answer
 * (lusim_pci.c: `ret=N size=N ...` lines). Slots of the handover range are also read and written
 * from the host over qtest, so the host records the blob the kernel stored and can rewrite it.
 */
import { crc32 } from 'node:zlib';
import { AgentError, type AgentClient } from '../guest/agent-client.js';
import { MODULE_SLOTS, type HandoverRange } from '../run/handover.js';
import type { QtestClient } from '../qemu/qtest.js';
import { GuestModuleError, WITHOUT_MODULE } from './errors.js';

export interface SaveBuffer {
  readonly capNr: number;
  readonly extended: boolean;
  readonly size: number;
  readonly data: Uint8Array;
}

export interface BufferList {
  readonly stateSaved: boolean;
  /** In pci_dev.saved_cap_space list order (the order pci_store_saved_state writes them). */
  readonly buffers: readonly SaveBuffer[];
}

export interface SlotResult {
  readonly ret: number;
  readonly size: number;
  readonly why?: string;
}

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));

/** `key=value` words of one answer line. */
export function answerFields(line: string): Map<string, string> {
  return new Map(line.trim().split(/\s+/).flatMap((w) => {
    const i = w.indexOf('=');
    return i > 0 ? [[w.slice(0, i), w.slice(i + 1)] as const] : [];
  }));
}

function num(fields: Map<string, string>, key: string, line: string): number {
  const v = fields.get(key);
  if (v === undefined || !/^-?\d+$/.test(v)) throw new GuestModuleError('bad-answer', `the guest module answered "${line}" without ${key}=N.`, { line });
  return Number(v);
}

export function parseBuffers(lines: readonly string[]): BufferList {
  const head = answerFields(lines[0] ?? '');
  const stateSaved = num(head, 'state_saved', lines[0] ?? '') === 1;
  const buffers = lines.slice(1).filter((l) => l.startsWith('cap ')).map((l) => {
    const f = answerFields(l);
    return { capNr: parseInt(f.get('nr') ?? 'x', 16), extended: f.get('ext') === '1', size: num(f, 'size', l), data: hexBytes(f.get('data') ?? '') };
  });
  return { stateSaved, buffers };
}

export class GuestModule {
  constructor(private readonly agent: AgentClient) {}

  /** insmod the module (agent KMOD); a refusal is a typed error with the guest's dmesg tail. */
  async load(): Promise<void> {
    const res = await this.agent.request('KMOD');
    if (res.rc === 0) return;
    const text = res.lines.join('\n');
    if (res.rc === 5) throw new GuestModuleError('debugfs-missing', `the guest kernel cannot host lusim's module: ${res.lines[0] ?? 'no debugfs'}. With this kernel, ${WITHOUT_MODULE}.`, { output: res.lines });
    throw new GuestModuleError('load-failed', `lusim's guest module did not load (rc ${res.rc}), the guest said: ${text || '(nothing)'}; ${WITHOUT_MODULE}.`, { rc: res.rc, dmesg: res.lines });
  }

  private async kpci(verb: string, arg = ''): Promise<string[]> {
    try {
      return await this.agent.run('KPCI', arg ? [verb, arg] : [verb]);
    } catch (e) {
      if (e instanceof AgentError && e.code === 'command-failed' && e.details.rc === 5) throw new GuestModuleError('debugfs-missing', `lusim's guest module answers nowhere (${String((e.details.output as string[] | undefined)?.[0] ?? 'no debugfs control file')}): the module load step must run first; for a kernel that cannot load it, ${WITHOUT_MODULE}.`);
      throw e;
    }
  }

  private async ret(verb: string, arg: string): Promise<Map<string, string>> {
    const line = (await this.kpci(verb, arg))[0] ?? '';
    const f = answerFields(line);
    num(f, 'ret', line);
    return f;
  }

  /**
   * Keep dev's bus master across the kexec as the PCI Live Update series does (lusim_pci.c
   * preserve: pci_device_shutdown's pci_clear_master skipped); 0 or the kprobe's error.
   */
  async preserve(bdf: string): Promise<number> {
    return Number((await this.ret('preserve', bdf)).get('ret'));
  }

  /** pci_save_state(dev): its return code. */
  async save(bdf: string): Promise<number> {
    return Number((await this.ret('save', bdf)).get('ret'));
  }

  /** pci_store_saved_state(dev), kept in the module as the held blob. */
  async store(bdf: string): Promise<{ ret: number; size: number }> {
    const f = await this.ret('store', bdf);
    return { ret: Number(f.get('ret')), size: Number(f.get('size') ?? 0) };
  }

  async stash(slot: number): Promise<SlotResult> {
    return this.slotCommand('stash', slot);
  }

  async unstash(slot: number): Promise<SlotResult> {
    return this.slotCommand('unstash', slot);
  }

  private async slotCommand(verb: 'stash' | 'unstash', slot: number): Promise<SlotResult> {
    const f = await this.ret(verb, String(checkSlot(slot)));
    return { ret: Number(f.get('ret')), size: Number(f.get('size') ?? 0), ...(f.get('why') ? { why: f.get('why')! } : {}) };
  }

  /** pci_load_saved_state(dev, held): 0 or the kernel's -errno (-22 for a layout it refuses). */
  async loadState(bdf: string): Promise<number> {
    return Number((await this.ret('load', bdf)).get('ret'));
  }

  async restore(bdf: string): Promise<void> {
    await this.ret('restore', bdf);
  }

  async buffers(bdf: string): Promise<BufferList> {
    return parseBuffers(await this.kpci('buffers', bdf));
  }

  async blob(): Promise<Uint8Array> {
    return hexBytes(answerFields((await this.kpci('blob'))[0] ?? '').get('hex') ?? '');
  }
}

function checkSlot(slot: number): number {
  if (!Number.isInteger(slot) || slot < 0 || slot >= MODULE_SLOTS.count) throw new GuestModuleError('bad-answer', `slot ${slot} is not 0..${MODULE_SLOTS.count - 1}.`);
  return slot;
}

const slotAddress = (range: HandoverRange, slot: number): number => range.base + MODULE_SLOTS.offset(range) + checkSlot(slot) * MODULE_SLOTS.size;

/** The blob in a slot, read over qtest; undefined when the slot holds none or its CRC is wrong. */
export async function readSlot(qtest: QtestClient, range: HandoverRange, slot: number): Promise<Uint8Array | undefined> {
  const head = await qtest.read(slotAddress(range, slot), MODULE_SLOTS.header);
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const [magic, size, crc] = [dv.getUint32(0, true), dv.getUint32(4, true), dv.getUint32(8, true)];
  if (magic !== MODULE_SLOTS.magic || size > MODULE_SLOTS.size - MODULE_SLOTS.header) return undefined;
  const blob = await qtest.read(slotAddress(range, slot) + MODULE_SLOTS.header, size);
  return crc32(blob) === crc ? blob : undefined;
}

/** Write `blob` into a slot as the module does (header, CRC-32), so kernel B's module can unstash it. */
export async function writeSlot(qtest: QtestClient, range: HandoverRange, slot: number, blob: Uint8Array): Promise<void> {
  if (blob.length > MODULE_SLOTS.size - MODULE_SLOTS.header) throw new GuestModuleError('bad-answer', `a ${blob.length}-byte blob does not fit a ${MODULE_SLOTS.size}-byte slot.`);
  const out = new Uint8Array(MODULE_SLOTS.header + blob.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MODULE_SLOTS.magic, true);
  dv.setUint32(4, blob.length, true);
  dv.setUint32(8, crc32(blob), true);
  out.set(blob, MODULE_SLOTS.header);
  await qtest.write(slotAddress(range, slot), out);
}

/**
 * The handover range: guest-physical memory both kernels leave alone, so the host can write the
 * serialized state into it (qtest) before kexec and read it back after.
 *
 * Both command lines carry `memmap=SIZE$ADDR`: arch/x86/kernel/e820.c parse_memmap_one adds the
 * range as E820_TYPE_RESERVED (memparse for both numbers, so 0x... works) and /proc/iomem shows it
 * as "Reserved". The agent loads the next kernel with kexec_load, where kexec-tools picks the
 * segments' addresses from /sys/firmware/memmap (kexec/arch/i386/kexec-x86-common.c
 * get_memory_ranges), the firmware's map without memmap= (e820__reserve_resources exposes
 * e820_table_firmware): so the agent passes --mem-min=<end of the range> and kexec-tools places
 * nothing below it (kexec/kexec.c locate_hole, valid_memory_range). The KASLR decompressor of the
 * next kernel avoids memmap= ranges itself (arch/x86/boot/compressed/kaslr.c mem_avoid_memmap).
 *
 * Placement: QEMU loads the initrd at the top of low RAM (hw/i386/x86.c x86_load_linux, below
 * initrd_max) without knowing about memmap=, and the kernel decompresses near 16 MiB, so the range
 * sits in the middle of a >= 1 GiB guest: 512 MiB, 1 MiB long.
 */
import { LusimError } from '../../devices/errors.js';

export class HandoverError extends LusimError<'bad-range'> {}

export interface HandoverRange {
  /** Guest-physical base, page aligned. */
  readonly base: number;
  /** Length in bytes, a whole number of pages. */
  readonly size: number;
}

export const PAGE = 4096;
export const DEFAULT_HANDOVER: HandoverRange = { base: 0x2000_0000, size: 0x10_0000 };

/**
 * Where the guest module (kexec/guest-module/lusim_pci.c SLOT_AREA_OFFSET, SLOT_SIZE) stashes the
 * blobs the kernel stores: the upper half of the range, 16 KiB per slot, each a 16-byte header
 * { u32 magic "LUSB", u32 size, u32 crc32, u32 0 } and the blob. The host's envelope
 * (handover-io.ts) stays in the lower half.
 */
export const MODULE_SLOTS = { magic: 0x4253554c, header: 16, size: 0x4000, offset: (r: HandoverRange): number => r.size / 2, count: 32 } as const;

export function checkRange(r: HandoverRange, guestMemBytes?: number): HandoverRange {
  const ok = Number.isSafeInteger(r.base) && Number.isSafeInteger(r.size) && r.size > 0 && r.base % PAGE === 0 && r.size % PAGE === 0 && r.base >= 0x100_0000;
  if (!ok) throw new HandoverError('bad-range', `handover range base 0x${r.base.toString(16)} size 0x${r.size.toString(16)} must be page aligned, non-empty and above 16 MiB (below it the kernel is loaded).`, { ...r });
  if (guestMemBytes !== undefined && r.base + r.size > Math.min(guestMemBytes, 0xb000_0000)) {
    throw new HandoverError('bad-range', `handover range ends at 0x${(r.base + r.size).toString(16)}, beyond the guest's low RAM (0x${Math.min(guestMemBytes, 0xb000_0000).toString(16)}); give the guest more memory or move the range.`, { ...r, guestMemBytes });
  }
  return r;
}

/**
 * The kernel argument, as the kernel reads it: `memmap=0x100000$0x20000000`. Passed as one argv
 * word (QEMU -append, kexec --command-line) it needs no escaping; see shellWord() for shells.
 */
export function memmapArg(r: HandoverRange): string {
  checkRange(r);
  return `memmap=0x${r.size.toString(16)}$0x${r.base.toString(16)}`;
}

/** The argument for a POSIX shell, where `$` starts an expansion: single-quoted. */
export function shellWord(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The argument for a GRUB config: Documentation/admin-guide/kernel-parameters.txt (memmap=) says
 * "Some bootloaders may need an escape character before '$', like Grub2".
 */
export function grubWord(arg: string): string {
  return arg.replace(/\$/g, '\\$');
}

/** Does /proc/iomem (lines like `20000000-200fffff : Reserved`) show the range reserved? */
export function reservedInIomem(iomem: readonly string[], r: HandoverRange): boolean {
  const end = r.base + r.size - 1;
  return iomem.some((line) => {
    const m = /^\s*([0-9a-f]+)-([0-9a-f]+) : Reserved\s*$/.exec(line);
    return m !== null && parseInt(m[1]!, 16) <= r.base && parseInt(m[2]!, 16) >= end;
  });
}

/**
 * The command line lusim boots each kernel with (both sides of a kexec get the same one, plus the
 * agent's nonce): the console on ttyS0 kept quiet (every console character is a device exit under
 * TCG: `quiet` took the e2e boot + kexec from 15.7 s to 10.1 s here), the agent's own port, panics
 * that reboot at once (with QEMU's -no-reboot the run ends instead of hanging), and the handover
 * reservation. Two options only shorten a TCG boot; neither touches PCI enumeration, resources or
 * which drivers bind (docs/real-run.md has the figures):
 * - `tsc=reliable` (arch/x86/kernel/tsc.c tsc_setup -> tsc_clocksource_reliable): 6.1's
 *   unsynchronized_tsc() otherwise calls the TSC of a non-Intel 2-CPU guest (TCG's qemu64 is
 *   AuthenticAMD without constant_tsc) unsynchronized and switches the clocksource to the HPET,
 *   an MMIO read on every clock read; it also stops the clocksource watchdog. Under TCG both vCPUs
 *   read the same host-derived TSC, so the TSC is in fact synchronized.
 * - `cryptomgr.notests` (crypto/testmgr.c alg_test: skipped unless fips=1): the boot-time
 *   self-tests of every crypto algorithm the kernel registers (crypto_algapi_init took 170-260 ms).
 *
 * A kernel started by kexec (`kexeced`) also gets `nokaslr`: with KASLR its decompressor writes
 * the kernel to a random physical slot, and in 3 of 27 kexecs here CPU0 then spent 3.5-5.5 s in
 * that decompressor (QMP `info registers`: RIP in the segment kexec-tools loaded at the top of
 * RAM) against 0.3 s otherwise; with nokaslr 0 of 16. A relocatable kernel without KASLR
 * decompresses at its own load address (arch/x86/boot/compressed/head_64.S; kaslr.c
 * choose_random_location returns on nokaslr), which --mem-min keeps above the handover range.
 * KASLR moves only the kernel's own image and memory regions, nothing a PCI device sees.
 */
export function guestCmdline(opts: { agentTty?: 'ttyS0' | 'ttyS1'; range?: HandoverRange; kexeced?: boolean } = {}): string {
  const words = ['console=ttyS0', 'quiet', 'panic=-1', 'tsc=reliable', 'cryptomgr.notests', `lusim.tty=${opts.agentTty ?? 'ttyS1'}`, memmapArg(opts.range ?? DEFAULT_HANDOVER)];
  return [...words, ...(opts.kexeced ? ['nokaslr'] : [])].join(' ');
}

/**
 * The devices as the firmware hands them to kernel A: QEMU starts stopped (-S) with its gdbstub
 * on a unix socket; lusim puts a breakpoint on the kernel's 32-bit entry, lets SeaBIOS run, and
 * captures every function over ECAM when the breakpoint hits, before the kernel has run an
 * instruction of its own; then it detaches and the boot goes on. The model's prediction of boot A
 * (sim/predict/boot.ts) starts from this state.
 *
 * The entry: QEMU's x86_load_linux loads a bzImage's protected-mode part at 0x100000 (prot_addr)
 * and its linuxboot option ROM starts the real-mode setup, which only calls BIOS services (no PCI
 * config writes: arch/x86/boot/) and jumps to code32_start, the setup header field at 0x214
 * (Documentation/arch/x86/boot.rst). SeaBIOS finishes its PCI set-up before it boots the option
 * ROM. Measured: SeaBIOS reaches the breakpoint in 0.13 s under TCG.
 */
import { openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { KexecError } from '../errors.js';
import { GdbStub } from './gdbstub.js';

/** code32_start of a bzImage (its "HdrS" setup header; boot protocol 2.00+). */
export function kernelEntry(bzImage: string): number {
  const h = Buffer.alloc(0x218);
  const fd = openSync(bzImage, 'r');
  try {
    readSync(fd, h, 0, h.length, 0);
  } finally {
    closeSync(fd);
  }
  if (h.toString('latin1', 0x202, 0x206) !== 'HdrS') throw new KexecError('gdbstub', `${bzImage} has no x86 boot protocol header ("HdrS" at 0x202): it is not a bzImage.`, { kernel: bzImage });
  return h.readUInt32LE(0x214);
}

export const GDB_SOCKET = 'gdb.sock';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function connectStub(path: string, timeoutMs: number): Promise<GdbStub> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await GdbStub.connect(path);
    } catch (e) {
      if (Date.now() > deadline) throw new KexecError('gdbstub', `QEMU's gdbstub socket ${path} did not open: ${(e as Error).message}`, { path });
      await sleep(20);
    }
  }
}

/**
 * rip in a `g` reply: QEMU's x86-64 stub sends rax..r15, 8 bytes each (zero-extended outside
 * long mode), then rip (target/i386/gdbstub.c x86_cpu_gdb_read_register). `p` answers only a
 * client that read the target description, so lusim reads all registers.
 */
const RIP_HEX = [16 * 16, 17 * 16] as const;
const le64 = (hex: string) => Number(Buffer.from(hex, 'hex').readBigUInt64LE(0));

/**
 * Run a guest started with -S and -gdb (QemuInstance dir/gdb.sock) until it reaches `entry`,
 * and leave it stopped there. Returns the stub: `release` detaches, which lets the guest run on.
 */
export async function runToKernelEntry(dir: string, entry: number, timeoutMs = 30_000): Promise<{ release: () => Promise<void> }> {
  const stub = await connectStub(join(dir, GDB_SOCKET), 5000);
  try {
    const expect = async (cmd: string, ok: (r: string) => boolean, ms = 5000) => {
      const r = await stub.command(cmd, ms);
      if (!ok(r)) throw new KexecError('gdbstub', `the gdbstub answered "${r}" to "${cmd}".`, { cmd, reply: r });
      return r;
    };
    // Z1: a hardware breakpoint, a linear address (paging is off at the entry, so it is physical).
    await expect(`Z1,${entry.toString(16)},1`, (r) => r === 'OK');
    await expect('c', (r) => /^[ST][0-9a-f]{2}/.test(r), timeoutMs);
    const rip = le64((await expect('g', (r) => /^[0-9a-fx]+$/.test(r) && r.length >= RIP_HEX[1])).slice(...RIP_HEX));
    if (rip !== entry) throw new KexecError('gdbstub', `the guest stopped at 0x${rip.toString(16)}, not at the kernel's entry 0x${entry.toString(16)}.`, { rip, entry });
    await expect(`z1,${entry.toString(16)},1`, (r) => r === 'OK');
  } catch (e) {
    stub.close();
    throw e;
  }
  return {
    release: async () => {
      try {
        // D: detach; QEMU removes its breakpoints and resumes the guest (gdbstub.c handle_detach).
        const r = await stub.command('D');
        if (r !== 'OK') throw new KexecError('gdbstub', `the gdbstub answered "${r}" to detach.`, { reply: r });
      } finally {
        stub.close();
      }
    },
  };
}

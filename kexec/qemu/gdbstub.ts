/**
 * Just enough of the GDB remote serial protocol to stop a guest at an address: QEMU's gdbstub
 * (`-gdb unix:PATH`, gdbstub/gdbstub.c) on a unix socket. Packets are `$data#xx` (xx: the sum of
 * the data bytes mod 256, two hex digits), each acknowledged with `+` (QEMU 7.2 answers
 * QStartNoAckMode with an empty packet: not supported). Used by kexec/qemu/firmware-state.ts to stop at the kernel's entry, when
 * the firmware is done and the kernel has not run yet.
 */
import { connect, type Socket } from 'node:net';
import { KexecError } from '../errors.js';

const checksum = (data: string): string => ([...Buffer.from(data, 'latin1')].reduce((a, b) => a + b, 0) & 0xff).toString(16).padStart(2, '0');

export class GdbStub {
  private buf = '';
  private waiter: (() => void) | undefined;
  private closed: Error | undefined;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      this.buf += d;
      this.waiter?.();
    });
    sock.on('close', () => {
      this.closed = new KexecError('gdbstub', 'QEMU closed the gdbstub connection.');
      this.waiter?.();
    });
    sock.on('error', () => undefined);
  }

  static connect(path: string): Promise<GdbStub> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => {
        s.removeListener('error', reject);
        resolve(new GdbStub(s));
      });
      s.once('error', reject);
    });
  }

  /** Send a packet and return the reply packet's data. */
  async command(data: string, timeoutMs = 10_000): Promise<string> {
    this.sock.write(`$${data}#${checksum(data)}`);
    return this.packet(timeoutMs, data);
  }

  /** The next packet from QEMU, acknowledged; its `+` for our packet before it is skipped. */
  private async packet(timeoutMs: number, sent: string): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const start = this.buf.indexOf('$');
      const hash = start >= 0 ? this.buf.indexOf('#', start) : -1;
      if (hash >= 0 && this.buf.length >= hash + 3) {
        const data = this.buf.slice(start + 1, hash);
        this.buf = this.buf.slice(hash + 3);
        this.sock.write('+');
        return data;
      }
      if (this.closed) throw this.closed;
      const left = deadline - Date.now();
      if (left <= 0) throw new KexecError('timeout', `the gdbstub did not answer "${sent}" within ${timeoutMs} ms.`, { sent, timeoutMs });
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  close(): void {
    this.sock.destroy();
  }
}

/**
 * The guest's serial console as a stream of text and lines. Fed by a unix socket chardev (or by
 * polling a file), kept in memory so that errors can quote the last lines and a guest agent can
 * wait for its markers.
 */
import { KexecError } from '../errors.js';

/** Bytes of console text kept in memory; older text is dropped (lines already delivered stay delivered). */
const MAX_KEPT = 4 * 1024 * 1024;

type LineListener = (line: string) => void;

export class ConsoleStream {
  private text = '';
  private partial = '';
  private readonly lineListeners = new Set<LineListener>();
  private readonly dataListeners = new Set<(chunk: string) => void>();
  private ended: Error | null = null;
  private readonly endListeners = new Set<(err: Error) => void>();

  /** Append raw console output (called by the launcher). */
  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > MAX_KEPT) this.text = this.text.slice(this.text.length - MAX_KEPT);
    for (const l of this.dataListeners) l(chunk);
    this.partial += chunk;
    let nl: number;
    while ((nl = this.partial.indexOf('\n')) >= 0) {
      const line = this.partial.slice(0, nl).replace(/\r$/, '');
      this.partial = this.partial.slice(nl + 1);
      for (const l of this.lineListeners) l(line);
    }
  }

  /** Mark the stream finished (QEMU exited or the instance closed); waiters fail with `err`. */
  end(err: Error): void {
    if (this.ended) return;
    this.ended = err;
    for (const l of this.endListeners) l(err);
  }

  /** Everything kept so far. */
  all(): string {
    return this.text;
  }

  /** The last `n` lines (for error messages). */
  tail(n = 20): string[] {
    return this.text.split(/\r?\n/).slice(-n);
  }

  onLine(listener: LineListener): () => void {
    this.lineListeners.add(listener);
    return () => this.lineListeners.delete(listener);
  }

  onData(listener: (chunk: string) => void): () => void {
    this.dataListeners.add(listener);
    return () => this.dataListeners.delete(listener);
  }

  /** Resolve with the first complete line from now on that matches; a timeout names the last lines seen. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        offLine();
        this.endListeners.delete(onEnd);
      };
      const offLine = this.onLine((line) => {
        if (pattern.test(line)) {
          done();
          resolve(line);
        }
      });
      const onEnd = (err: Error): void => {
        done();
        reject(err);
      };
      this.endListeners.add(onEnd);
      const timer = setTimeout(() => {
        done();
        reject(new KexecError('timeout', `no console line matching ${pattern} within ${timeoutMs} ms. Last console lines:\n${this.tail(15).join('\n')}`, { pattern: String(pattern), timeoutMs, tail: this.tail(15) }));
      }, timeoutMs);
    });
  }
}

/** A unix-socket peer that scripts one side of a line protocol, for hermetic client tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakePeer {
  readonly path: string;
  /** Lines the client sent, in order. */
  readonly received: string[];
  /** Resolves with the server side of the first connection. */
  readonly connection: Promise<Socket>;
  close(): Promise<void>;
}

/** `onLine` answers each client line (return lines to send, or nothing). */
export async function fakePeer(onConnect: (s: Socket) => void, onLine: (line: string, s: Socket) => void): Promise<FakePeer> {
  const dir = mkdtempSync(join(tmpdir(), 'lusim-fake-'));
  const path = join(dir, 'sock');
  const received: string[] = [];
  let resolveConn!: (s: Socket) => void;
  const connection = new Promise<Socket>((r) => (resolveConn = r));
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    sockets.push(s);
    s.setEncoding('utf8');
    let buf = '';
    s.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        received.push(line);
        onLine(line, s);
      }
    });
    s.on('error', () => undefined);
    onConnect(s);
    resolveConn(s);
  });
  await new Promise<void>((r) => server.listen(path, r));
  return {
    path,
    received,
    connection,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

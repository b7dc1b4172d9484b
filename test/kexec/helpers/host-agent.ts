/**
 * The guest agent (kexec/agent/agent.sh) run on the host by busybox sh over pipes, in a scratch
 * directory standing in for the guest's /tmp and /proc/cmdline (LUSIM_TMP, LUSIM_CMDLINE_FILE).
 * `hostAgents()` is called once at a test file's top level: it registers the clean-up (every agent
 * killed, every scratch directory removed after each test) and hands back the two makers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { AgentClient, streamLine } from '../../../kexec/guest/agent-client.js';

const AGENT_SH = join(import.meta.dirname, '../../../kexec/agent/agent.sh');

export interface HostAgentOptions {
  readonly nonce: string;
  /** The nonce the client expects (another one: answers must be ignored). */
  readonly clientNonce?: string;
  /** The kernel command line the agent reads (default `lusim.nonce=NONCE`). */
  readonly cmdline?: string;
  /** More environment for the agent (LUSIM_SYS, LUSIM_DEBUGFS, ...). */
  readonly env?: Readonly<Record<string, string>>;
  /** The scratch directory (default: a new one). */
  readonly dir?: string;
}

export interface HostAgents {
  /** A scratch directory, removed after the test. */
  scratch(prefix?: string): string;
  /** The agent started in its scratch directory, and a client on its pipes (not yet READY). */
  start(o: HostAgentOptions): { client: AgentClient; dir: string };
}

export function hostAgents(): HostAgents {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const scratch = (prefix = 'lusim-agent-test-') => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  const start = (o: HostAgentOptions) => {
    const dir = o.dir ?? scratch();
    writeFileSync(join(dir, 'cmdline'), `${o.cmdline ?? `lusim.nonce=${o.nonce}`}\n`);
    const env = { PATH: process.env.PATH, LUSIM_TMP: dir, LUSIM_CMDLINE_FILE: join(dir, 'cmdline'), ...o.env };
    const child = spawn('busybox', ['sh', AGENT_SH], { env, cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    return { client: new AgentClient(streamLine(child.stdout!, child.stdin!), o.clientNonce ?? o.nonce), dir };
  };
  return { scratch, start };
}

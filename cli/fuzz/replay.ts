/**
 * `lusim fuzz --replay DIR`: every record of a `--corpus` directory run again under today's model
 * (sim/fuzz/replay.ts), in one thread (a record is one cycle), and whether each finding still
 * shows. A file that is not a record is said in one line and the others still run.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import type { CampaignConfig } from '../../sim/fuzz/campaign.js';
import { parseRecord, replayCase, type ReplayOutcome } from '../../sim/fuzz/replay.js';
import { fsErrorReason } from '../../devices/errors.js';
import { CliError, printJson } from '../errors.js';
import type { Interrupt } from './interrupt.js';
import { signalExitCode } from '../../kexec/process/cleanup.js';

interface ReplayReport {
  readonly replay: string;
  readonly records: number;
  readonly still: number;
  readonly gone: readonly ReplayOutcome[];
  readonly mustHoldNow: readonly ReplayOutcome[];
  /** --qemu records: real runs, not replayed here. */
  readonly qemu: readonly { readonly id: string; readonly command: string }[];
  readonly bad: readonly { readonly file: string; readonly why: string }[];
  readonly interrupted?: NodeJS.Signals;
}

function recordFiles(dir: string): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new CliError('bad-option', `--replay ${dir} is not a directory: give the --corpus directory of an earlier run`, { dir });
    names = readdirSync(dir);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError('bad-option', `--replay ${dir}: no such directory: give the --corpus directory of an earlier run`, { dir });
  }
  const files = names.filter((n) => n.endsWith('.json')).sort();
  if (!files.length) throw new CliError('bad-option', `--replay ${dir} holds no corpus records (*.json): give the --corpus directory of an earlier run`, { dir });
  return files;
}

function readRecord(file: string): ReturnType<typeof parseRecord> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return { kind: 'bad', why: e instanceof SyntaxError ? `not JSON (${e.message})` : `cannot read it (${fsErrorReason(e)})` };
  }
  return parseRecord(json);
}

export async function replayCorpus(dir: string, config: CampaignConfig, o: { json: boolean; interrupt: Interrupt }): Promise<void> {
  const files = recordFiles(dir);
  const tty = process.stderr.isTTY;
  const outcomes: ReplayOutcome[] = [];
  const qemu: { id: string; command: string }[] = [];
  const bad: { file: string; why: string }[] = [];
  for (const [i, name] of files.entries()) {
    if (o.interrupt.signal.aborted) break;
    await yieldToEvents();
    const file = join(dir, name);
    const r = readRecord(file);
    if (r.kind === 'bad') bad.push({ file, why: r.why });
    else if (r.kind === 'qemu') qemu.push({ id: r.id, command: r.command });
    else if (r.case.device.kind === 'seed' && !config.seedDump) bad.push({ file, why: 'found around a --from-dump device: replay it with the same --from-dump FILE' });
    else outcomes.push(await replayCase(config, r));
    if (tty) process.stderr.write(`\r  replayed ${i + 1}/${files.length}\x1b[K`);
  }
  if (tty) process.stderr.write('\n');
  o.interrupt.release();
  const stoppedBy = o.interrupt.received();
  const report: ReplayReport = {
    replay: dir, records: outcomes.length, still: outcomes.filter((x) => x.still).length, gone: outcomes.filter((x) => !x.still),
    mustHoldNow: outcomes.filter((x) => x.mustHoldNow), qemu, bad, ...(stoppedBy ? { interrupted: stoppedBy } : {}),
  };
  if (o.json) printJson(report);
  else process.stdout.write(renderReplay(report));
  // As a campaign: a must-hold oracle failing now is exit 1; so is a file that is no record.
  process.exitCode = report.mustHoldNow.length || bad.length ? 1 : stoppedBy ? signalExitCode(stoppedBy) : 0;
}

function renderReplay(r: ReplayReport): string {
  const lines = [`lusim fuzz --replay ${r.replay}: ${r.records} records run again, ${r.still} still show their finding, ${r.gone.length} do not`];
  for (const g of r.gone) lines.push('', `GONE ${g.signature}`, `  (${g.id}) now: ${g.now.length ? g.now.join('; ') : 'no finding'}`);
  for (const m of r.mustHoldNow) lines.push('', `FAIL ${m.id}: a must-hold oracle fails: ${m.now.join('; ')}`);
  if (r.qemu.length) lines.push('', `${r.qemu.length} --qemu records not replayed (real runs): run their command, e.g. ${r.qemu[0].command}`);
  for (const b of r.bad) lines.push('', `lusim: ${b.file}: ${b.why}`);
  if (r.interrupted) lines.push('', `${r.interrupted} stopped the replay after ${r.records} records`);
  lines.push('', r.mustHoldNow.length || r.bad.length ? `exit 1: ${r.mustHoldNow.length ? 'a must-hold oracle fails on a replayed case' : 'some files are no corpus records'}`
    : r.interrupted ? `exit ${signalExitCode(r.interrupted)}: stopped by ${r.interrupted}` : 'exit 0: no must-hold oracle fails on a replayed case');
  return `${lines.join('\n')}\n`;
}

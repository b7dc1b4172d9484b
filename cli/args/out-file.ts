/**
 * `--out FILE` and output directories (`fuzz --corpus DIR`, `fidelity --out DIR`): checked before
 * any work starts (a run of minutes must not end in "cannot write"), and written so that a failure
 * still leaves the report with the user.
 */
import { accessSync, constants, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, parse, resolve } from 'node:path';
import { fsErrorReason } from '../../devices/errors.js';
import { CliError } from '../errors.js';

/**
 * Refuse (bad-option, exit 2) an --out path that cannot be written: a directory, a missing parent,
 * no permission. `example` is the file name suggested inside a directory given by mistake.
 */
export function checkOutPath(path: string, option = '--out', example = 'report.json'): void {
  // A file named "-" is never what was meant; where stdout is the default, stdOutOr took "-" already.
  if (path === '-') throw new CliError('bad-option', `${option} -: give a file name; stdout carries this command's own output`, { path });
  const full = resolve(path);
  const st = statOrUndefined(full);
  if (st?.isDirectory()) throw new CliError('bad-option', `${option} ${path} is a directory: give a file name, e.g. ${path.replace(/\/$/, '')}/${example}`, { path });
  const parent = dirname(full);
  const pst = statOrUndefined(parent);
  if (!pst) throw new CliError('bad-option', `${option} ${path}: the directory ${parent} does not exist; create it first (mkdir -p ${parent})`, { path });
  if (!pst.isDirectory()) throw new CliError('bad-option', `${option} ${path}: ${parent} is not a directory`, { path });
  try {
    accessSync(st ? full : parent, constants.W_OK);
  } catch {
    throw new CliError('bad-option', `${option} ${path}: no permission to write ${st ? full : `in ${parent}`}`, { path });
  }
}

/**
 * Create an output directory and its missing parents, and check it can be written; a bad-option
 * error (exit 2) when it cannot. Made a level at a time: Node 20's mkdirSync({ recursive: true })
 * never returns on a path under /proc (mkdir there fails ENOENT, and its parent exists).
 */
export function prepareOutDir(path: string, option: string): void {
  if (path === '-') throw new CliError('bad-option', `${option} -: give a directory`, { path });
  const full = resolve(path);
  const missing: string[] = [];
  for (let p = full; !statOrUndefined(p) && p !== parse(p).root; p = dirname(p)) missing.unshift(p);
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new CliError('bad-option', `${option} ${path}: cannot create ${dir} (${err.code ?? err.message}): give a directory you can write`, { path });
    }
  }
  if (!statOrUndefined(full)?.isDirectory()) throw new CliError('bad-option', `${option} ${path} is not a directory: give a directory (it is created if missing)`, { path });
  try {
    accessSync(full, constants.W_OK);
  } catch {
    throw new CliError('bad-option', `${option} ${path}: no permission to write in it`, { path });
  }
}

/** `-o -` where stdout is the default (dump, capture, suite init): stdout, as `-` means everywhere. */
export function stdOutOr(path: string | undefined): string | undefined {
  return path === '-' ? undefined : path;
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Write the report (mode 0644, written on purpose, not by umask); when that fails (disk full,
 * the file removed meanwhile) say so in one line and hand the text back to be printed instead.
 */
export function writeOut(path: string, text: string | Uint8Array, what = '--out'): { ok: true } | { ok: false; message: string } {
  try {
    writeFileSync(path, text, { mode: 0o644 });
    return { ok: true };
  } catch (e) {
    return { ok: false, message: `could not write ${what} ${path} (${fsErrorReason(e)})` };
  }
}

/**
 * Write `text` to `path`, or, when that fails, say so in one line and print the text on stdout
 * instead, so nothing is lost; false then (the caller exits 1). `what` names the text ("the
 * snapshot").
 */
export function writeOrHandBack(path: string, text: string, what: string): boolean {
  const written = writeOut(path, text);
  if (written.ok) return true;
  process.stderr.write(`lusim: ${written.message}; ${what} follows on stdout\n`);
  process.stdout.write(text);
  return false;
}

/**
 * `--out FILE`: checked before any work starts (a run of minutes must not end in "cannot write"),
 * and written so that a failure still leaves the report with the user.
 */
import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliError } from './input.js';

/** Refuse (bad-option, exit 2) an --out path that cannot be written: a directory, a missing parent, no permission. */
export function checkOutPath(path: string): void {
  const full = resolve(path);
  const st = statOrUndefined(full);
  if (st?.isDirectory()) throw new CliError('bad-option', `--out ${path} is a directory: give a file name, e.g. ${path.replace(/\/$/, '')}/report.json`, { path });
  const parent = dirname(full);
  const pst = statOrUndefined(parent);
  if (!pst) throw new CliError('bad-option', `--out ${path}: the directory ${parent} does not exist; create it first (mkdir -p ${parent})`, { path });
  if (!pst.isDirectory()) throw new CliError('bad-option', `--out ${path}: ${parent} is not a directory`, { path });
  try {
    accessSync(st ? full : parent, constants.W_OK);
  } catch {
    throw new CliError('bad-option', `--out ${path}: no permission to write ${st ? full : `in ${parent}`}`, { path });
  }
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
export function writeOut(path: string, text: string): { ok: true } | { ok: false; message: string } {
  try {
    writeFileSync(path, text, { mode: 0o644 });
    return { ok: true };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOSPC' ? 'the disk is full' : err.code === 'EACCES' ? 'permission denied' : err.message;
    return { ok: false, message: `could not write --out ${path} (${why})` };
  }
}

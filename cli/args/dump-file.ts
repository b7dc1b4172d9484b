/** Reading dump files for commands: any format, from a file, a pipe or standard input (`-`), with clear errors for the rest. */
import { closeSync, constants, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { isatty } from 'node:tty';
import { basename, dirname } from 'node:path';
import { detectFormat, parseDump, selectDevice, type DumpDevice, type DumpFormat } from '../../devices/dump/index.js';
import { parseBdf, type Bdf } from '../../devices/dump/bdf.js';
import { fsErrorReason, LusimError } from '../../devices/errors.js';
import { CliError } from '../errors.js';

/** lspci -xxxx prints about 14 KiB per function: 64 MiB is thousands of functions. */
export const MAX_DUMP_BYTES = 64 * 1024 * 1024;

const SYSFS_CONFIG = /^(?:[0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

/** `formatOption`: the command's option that sets the input format, named when detection misreads the file; `-` is standard input. */
export function readDumpFile(path: string, opts: { format?: DumpFormat; bdf?: string; formatOption?: string } = {}): DumpDevice[] {
  const bytes = path === STDIN ? readStdin() : readPath(path);
  const name = dumpName(path);
  // Text dumps name every function on its own line: a --bdf there would be dropped without a word.
  const format = opts.format ?? (bytes.length ? detectFormat(bytes) : undefined);
  if (opts.bdf !== undefined && format !== undefined && format !== 'raw') throw new CliError('bad-option', `--bdf gives a raw binary dump its address; ${name} is ${format === 'json' ? 'a lusim JSON snapshot' : 'lspci text'}, which names each function itself: drop --bdf (--device picks one)`, { path, format });
  // A sysfs config file names its device in the directory: /sys/bus/pci/devices/0000:01:00.0/config.
  let bdf: Bdf | undefined = opts.bdf ? bdfOption(opts.bdf, '--bdf') : undefined;
  if (!bdf && basename(path) === 'config' && SYSFS_CONFIG.test(basename(dirname(path)))) bdf = parseBdf(basename(dirname(path)));
  return parseDump(bytes, { ...(opts.format ? { format: opts.format } : {}), ...(bdf ? { bdf } : {}), ...(opts.formatOption ? { formatOption: opts.formatOption } : {}) });
}

/** The path that names standard input: `sudo lspci -xxxx | lusim inspect -`. */
export const STDIN = '-';

/** A dump argument as messages and labels name it. */
export const dumpName = (path: string): string => (path === STDIN ? 'standard input' : path);

/** A regular file (sysfs config, lspci text, a snapshot) or a pipe; not a directory or a device. */
function readPath(path: string): Uint8Array {
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new CliError('file-unreadable', `${path} is a directory; give a dump file or a sysfs .../config file`, { path });
    // A pipe is read as standard input is: `lusim inspect <(sudo lspci -xxxx)` names one.
    if (st.isFIFO()) return readPipe(path);
    // /dev/zero never ends and a disk is no dump: only regular files and pipes are read.
    if (!st.isFile()) throw new CliError('file-unreadable', `${path} is not a regular file or a pipe (a device or socket); save the dump to a file first, e.g. lspci -xxxx > dump.txt`, { path });
    if (st.size > MAX_DUMP_BYTES) throw new CliError('file-unreadable', `${path} is ${st.size} bytes, more than the ${MAX_DUMP_BYTES / 1024 / 1024} MiB a dump can be (lspci -xxxx of 1000 functions is about 14 MiB); is it the right file?`, { path, size: st.size });
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    if (e instanceof CliError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError('file-not-found', `no such file: ${path}`, { path });
    // Not a sysfs matter: a non-root read of .../config returns 64 bytes rather than failing (pci-sysfs.c pci_read_config).
    const fix = code === 'EACCES' || code === 'EPERM' ? 'check its permissions, or copy it somewhere you can read' : 'give a dump file';
    throw new CliError('file-unreadable', `cannot read ${path} (${fsErrorReason(e)}): ${fix}`, { path });
  }
}

/** Read once and kept: a second `-` in one command (a device and its --parent) gets the same bytes. */
let stdinBytes: Uint8Array | undefined;

/** Through fd 0, never through process.stdin (which would make a pipe non-blocking). */
function readStdin(): Uint8Array {
  if (stdinBytes) return stdinBytes;
  if (isatty(0)) throw new CliError('file-unreadable', 'standard input is a terminal: pipe a dump in (sudo lspci -xxxx | lusim inspect -) or give a file', {});
  stdinBytes = readBounded(0, 'standard input');
  return stdinBytes;
}

/**
 * A FIFO opened non-blocking: with no writer it reads as empty at once (an empty dump, said so)
 * instead of waiting in open() for one.
 */
function readPipe(path: string): Uint8Array {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const bytes = readBounded(fd, path);
    if (bytes.length === 0) throw new CliError('file-unreadable', `${path} is a pipe with nobody writing to it: start its writer first, or pipe the dump in (sudo lspci -xxxx | lusim inspect -)`, { path });
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/** Everything `fd` gives until EOF, bounded like a file, so `cat /dev/zero | lusim inspect -` stops at 64 MiB. */
function readBounded(fd: number, name: string): Uint8Array {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.alloc(64 * 1024);
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (e) {
      // A non-blocking pipe whose writer has not written yet: wait a little, as a blocking read would.
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); continue; }
      throw new CliError('file-unreadable', `cannot read ${name} (${fsErrorReason(e)}): pipe a dump in, or give a file`, {});
    }
    if (n === 0) break;
    total += n;
    if (total > MAX_DUMP_BYTES) throw new CliError('file-unreadable', `${name} holds more than the ${MAX_DUMP_BYTES / 1024 / 1024} MiB a dump can be (lspci -xxxx of 1000 functions is about 14 MiB); is it the right stream?`, {});
    chunks.push(chunk.subarray(0, n));
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** The devices a command works on: all of them, or the one --device names. */
export function pickDevices(devices: DumpDevice[], device: string | undefined): DumpDevice[] {
  return device === undefined ? devices : [selectDevice(devices, bdfOption(device, '--device'))];
}

/** A BDF given on the command line: a malformed one is a usage error (exit 2). */
export function bdfOption(value: string, option: string): Bdf {
  try {
    return parseBdf(value);
  } catch (e) {
    if (!(e instanceof LusimError)) throw e;
    throw new CliError('bad-option', `${option}: ${e.message}`, { value });
  }
}

export function parseFormatOption(value: string | undefined): DumpFormat | undefined {
  if (value === undefined) return undefined;
  if (value === 'lspci' || value === 'raw' || value === 'json') return value;
  throw new CliError('bad-option', `unknown format "${value}": use lspci, raw or json`, { value });
}

/**
 * `--kconfig FILE`: a kernel's config for the model (a /boot/config-*, a build tree's .config, or
 * /proc/config.gz, gunzipped here), parsed and applied by sim/linux/kconfig.ts.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { applyKconfig, parseKconfig, type AppliedKconfig } from '../../sim/linux/kconfig.js';
import { fsErrorReason } from '../../devices/errors.js';
import { CliError } from '../errors.js';

export function readKconfig(path: string): AppliedKconfig & { readonly file: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError('file-not-found', `no such file: ${path} (--kconfig takes a kernel config: /boot/config-$(uname -r), a build tree's .config, or /proc/config.gz)`, { path });
    throw new CliError('file-unreadable', `cannot read ${path} (${fsErrorReason(e)}): --kconfig takes a kernel config file`, { path });
  }
  const text = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipConfig(bytes, path) : bytes.toString('utf8');
  const options = parseKconfig(text);
  if (options.size === 0) throw new CliError('bad-option', `${path} has no CONFIG_ lines: not a kernel config (give /boot/config-*, .config or /proc/config.gz)`, { path });
  return { ...applyKconfig(options), file: path };
}

/** /proc/config.gz and a gzipped copy; a damaged one is the user's file, not a lusim bug. */
function gunzipConfig(bytes: Buffer, path: string): string {
  try {
    return gunzipSync(bytes).toString('utf8');
  } catch (e) {
    throw new CliError('file-unreadable', `${path} starts as gzip but does not gunzip (${(e as Error).message}): give the config uncompressed, or a whole copy of /proc/config.gz`, { path });
  }
}

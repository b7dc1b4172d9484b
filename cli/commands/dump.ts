/** `lusim dump FILE --format lspci|raw|json`: convert between dump formats. */
import { Option, type Command } from 'commander';
import { formatBdf } from '../../devices/dump/bdf.js';
import { formatSnapshotJson } from '../../devices/dump/json.js';
import { capturedMask, formatRanges, unknownRanges } from '../../devices/dump/known.js';
import { formatLspci } from '../../devices/dump/lspci.js';
import { formatRaw } from '../../devices/dump/raw.js';
import type { DumpDevice } from '../../devices/dump/types.js';
import { CliError, EXIT_FAILURE, action } from '../errors.js';
import { checkOutPath, stdOutOr, writeOut } from '../args/out-file.js';
import { parseFormatOption, pickDevices, readDumpFile } from '../args/dump-file.js';

/**
 * A raw file cannot say which bytes were never captured: formatRaw pads them with 0xff (as
 * pciutils' dump_alloc_data does), and a raw file reads back as captured throughout. Say so.
 */
function warnRawGaps(device: DumpDevice, size: number): void {
  const gaps = unknownRanges(capturedMask(device, size), size);
  if (gaps.length === 0) return;
  process.stderr.write(`lusim dump: ${formatBdf(device.bdf)}: bytes ${formatRanges(gaps)} are not in the dump: the raw file holds 0xff there and reads back as if they were captured; --format json or lspci keeps the gaps\n`);
}

export function register(program: Command): void {
  program
    .command('dump')
    .description('convert a dump between lspci -xxxx text, raw binary and lusim JSON')
    .argument('<file>', 'input dump (format detected)')
    .requiredOption('--format <format>', 'output format: lspci, raw or json')
    .option('-d, --device <bdf>', 'only this function (required for raw output of a multi-device dump)')
    .option('--input-format <format>', 'input format (default: detected)')
    .option('--bdf <bdf>', 'address to give a raw binary input')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    // The option's first name, kept for the scripts that use it.
    .addOption(new Option('--output <file>').hideHelp())
    .action(action(async (file: string, opts: { format: string; device?: string; inputFormat?: string; bdf?: string; out?: string; output?: string }) => {
      const format = parseFormatOption(opts.format)!;
      const outFile = stdOutOr(opts.out ?? opts.output);
      if (outFile) checkOutPath(outFile, '--out', { raw: 'config', lspci: 'dump.lspci', json: 'dump.json' }[format]);
      const devices = pickDevices(readDumpFile(file, { format: parseFormatOption(opts.inputFormat), bdf: opts.bdf, formatOption: '--input-format' }), opts.device);
      let out: Uint8Array | string;
      if (format === 'raw') {
        if (devices.length !== 1) throw new CliError('bad-option', `raw output holds one function; the dump has ${devices.length}: pick one with --device`);
        out = formatRaw(devices[0]);
        warnRawGaps(devices[0]!, out.length);
        if (!outFile && process.stdout.isTTY) throw new CliError('bad-option', 'refusing to write binary to a terminal: use -o FILE or redirect stdout');
      } else {
        out = format === 'lspci' ? formatLspci(devices) : formatSnapshotJson(devices);
      }
      if (!outFile) {
        process.stdout.write(out);
        return;
      }
      const written = writeOut(outFile, out);
      if (written.ok) return;
      process.stderr.write(`lusim: ${written.message}\n`);
      process.exitCode = EXIT_FAILURE;
    }));
}

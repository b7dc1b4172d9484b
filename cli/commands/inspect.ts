/** `lusim inspect FILE`: decode every function in a dump, register by register. */
import type { Command } from 'commander';
import { buildFunction } from '../../devices/device.js';
import { describeFunction } from '../../devices/describe.js';
import { action, printJson } from '../errors.js';
import { parseFormatOption, pickDevices, readDumpFile } from '../args/dump-file.js';
import { renderInspect } from '../render/inspect-text.js';
import { refuseUnread } from '../args/option-scope.js';
import { profileForDump } from '../../devices/profiles/index.js';

export function register(program: Command): void {
  program
    .command('inspect')
    .description('decode config space: header, capability chains (offsets, versions, sizes), every register and field, and walker findings')
    .argument('<file>', 'lspci -xxxx text (any number of devices), raw binary config (64/256/4096 bytes, e.g. /sys/bus/pci/devices/0000:01:00.0/config), or a lusim JSON snapshot')
    .option('-d, --device <bdf>', 'only this function (BB:DD.F)')
    .option('--fields', 'list every field of every register with its access attributes')
    .option('--format <format>', 'input format: lspci, raw or json (default: detected)')
    .option('--bdf <bdf>', 'address to give a raw binary dump (default 00:00.0, or taken from a sysfs path)')
    .option('--profile <name>', 'device profile: spec, or auto to recognise QEMU 7.2 devices', 'spec')
    .option('--json', 'machine-readable output (schema: docs/inspect-json.md)')
    .action(action(async (file: string, opts: { device?: string; fields?: boolean; format?: string; bdf?: string; profile: string; json?: boolean }, cmd: Command) => {
      // The JSON always lists every field (docs/inspect-json.md): --fields there would change nothing.
      refuseUnread(cmd, [{ flags: ['--fields'], applies: opts.json !== true, where: 'to the text output (--json lists every field always)' }]);
      const dumps = pickDevices(readDumpFile(file, { format: parseFormatOption(opts.format), bdf: opts.bdf, formatOption: '--format' }), opts.device);
      const views = dumps.map((d) => {
        const v = describeFunction(buildFunction(d, profileForDump(d, opts.profile)));
        return d.capture ? { ...v, capture: d.capture } : v;
      });
      if (opts.json) printJson(views);
      else process.stdout.write(views.map((v) => renderInspect(v, { fields: opts.fields === true })).join('\n'));
      if (views.some((v) => v.findings.some((f) => f.severity === 'error'))) process.exitCode = 3;
    }));
}

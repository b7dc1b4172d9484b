/** `lusim capture [--sysfs /sys] [--out FILE]`: a running system's PCI functions into a lusim snapshot (kexec/sysfs-capture.ts). */
import type { Command } from 'commander';
import { formatSnapshotJson } from '../../devices/dump/json.js';
import { captureSysfs } from '../../kexec/sysfs-capture.js';
import { EXIT_FAILURE, action } from '../errors.js';
import { checkOutPath, stdOutOr, writeOrHandBack } from '../args/out-file.js';

export function register(program: Command): void {
  program
    .command('capture')
    .description('read every PCI function of this machine from sysfs (config space, reset_method, driver, current_link_speed, kernel release) into a lusim JSON snapshot; root gets the full 4 KiB')
    .option('--sysfs <dir>', 'sysfs mount to read', '/sys')
    .option('-o, --out <file>', 'write the snapshot here instead of stdout')
    .option('--kernel-release <release>', 'kernel release to record (default: this machine\'s when --sysfs is /sys)')
    .option('--kernel-version <version>', 'kernel version (`uname -v`) to record; Debian\'s names the package version (default: this machine\'s when --sysfs is /sys)')
    .option('--json', 'the snapshot is JSON already; accepted for symmetry')
    .action(action((opts: { sysfs: string; out?: string; kernelRelease?: string; kernelVersion?: string }) => {
      const out = stdOutOr(opts.out);
      if (out) checkOutPath(out, '--out', 'snapshot.json');
      const cap = captureSysfs({ sysfs: opts.sysfs, ...(opts.kernelRelease ? { kernelRelease: opts.kernelRelease } : {}), ...(opts.kernelVersion ? { kernelVersion: opts.kernelVersion } : {}) });
      const text = formatSnapshotJson(cap.devices);
      if (!out) process.stdout.write(text);
      else if (!writeOrHandBack(out, text, 'the snapshot')) {
        process.exitCode = EXIT_FAILURE;
        return;
      }
      const root = cap.devices[0]?.capture?.root === true;
      const summary = `captured ${cap.devices.length} function${cap.devices.length === 1 ? '' : 's'} from ${opts.sysfs}${out ? ` into ${out}` : ''}`;
      if (cap.unreadable.length > 0) process.stderr.write(`lusim: skipped ${cap.unreadable.map((u) => `${u.name} (${u.reason})`).join(', ')}: sysfs lists ${cap.unreadable.length === 1 ? 'it' : 'them'} but the config could not be read; capture again if a device was being removed\n`);
      process.stderr.write(cap.partial.length === 0
        ? `lusim: ${summary}\n`
        : `lusim: ${summary}; ${root ? '' : 'not root, so '}${cap.partial.length} of them partial (${cap.partial.join(', ')}): sysfs gave fewer config bytes than the function has${root ? '' : ' (an unprivileged read stops at 64 bytes); run as root for the full config space'}\n`);
    }));
}

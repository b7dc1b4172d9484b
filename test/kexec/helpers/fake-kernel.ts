/** Fake kernels as a user's build leaves them (kexec/kernels/user-kernel.ts reads only these parts). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The first bytes of a bzImage: the setup header's magic and the version string where kernel_version points. */
export function fakeBzImage(version: string): Buffer {
  const b = Buffer.alloc(0x4000);
  b.write('HdrS', 0x202, 'latin1');
  b.writeUInt16LE(0x020f, 0x206);
  const at = 0x3000;
  b.writeUInt16LE(at - 0x200, 0x20e);
  b.write(`${version}\0`, at, 'latin1');
  return b;
}

export const FAKE_CONFIG = 'CONFIG_MODULES=y\nCONFIG_BLK_DEV_NVME=y\nCONFIG_E1000E=m\nCONFIG_PCIEAER=y\n# CONFIG_PCIE_DPC is not set\n';

/** A built tree in `parent` as `make bzImage` leaves it, with modules_install'd modules when `modules`. */
export function fakeTree(parent: string, release: string, o: { modules?: boolean; config?: string; treeRelease?: string } = {}): string {
  const d = join(parent, 'linux');
  mkdirSync(join(d, 'arch/x86/boot'), { recursive: true });
  mkdirSync(join(d, 'include/config'), { recursive: true });
  writeFileSync(join(d, 'arch/x86/boot/bzImage'), fakeBzImage(`${release} (me@host) #3 SMP PREEMPT_DYNAMIC Tue Dec  1 10:00:00 UTC 2026`));
  writeFileSync(join(d, '.config'), o.config ?? FAKE_CONFIG);
  writeFileSync(join(d, 'Makefile'), 'VERSION = 7\n');
  writeFileSync(join(d, 'include/config/kernel.release'), `${o.treeRelease ?? release}\n`);
  if (o.modules) {
    mkdirSync(join(d, 'lib/modules', release, 'kernel/drivers/net'), { recursive: true });
    writeFileSync(join(d, 'lib/modules', release, 'modules.order'), 'kernel/drivers/net/e1000e.ko\n');
  }
  return d;
}

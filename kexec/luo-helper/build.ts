/**
 * lusim_luo (lusim_luo.c), the guest's LUO client, built once per source and uAPI header: a static
 * binary (the initramfs has no libc) compiled with the host's gcc against the LUO kernel's own
 * include/uapi/linux/liveupdate.h (the host's linux-libc-dev predates it), cached at
 * `<cache>/luo-helper/<hash>/lusim_luo`.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastLines, run } from '../kernels/apt.js';
import { LuoKernelError } from '../luo-kernel/build.js';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'lusim_luo.c');

/** The helper for a kernel whose uAPI header is `header` (the source tree's include/uapi/linux/liveupdate.h). */
export async function buildLuoHelper(header: string, root: string): Promise<Uint8Array> {
  const hash = createHash('sha256').update(readFileSync(SOURCE)).update('\0').update(readFileSync(header)).digest('hex').slice(0, 16);
  const dir = join(root, 'luo-helper', hash);
  const bin = join(dir, 'lusim_luo');
  if (existsSync(bin)) return readFileSync(bin);
  mkdirSync(join(root, 'luo-helper'), { recursive: true });
  const work = mkdtempSync(join(root, 'luo-helper', '.build-'));
  try {
    mkdirSync(join(work, 'include', 'linux'), { recursive: true });
    copyFileSync(header, join(work, 'include', 'linux', 'liveupdate.h'));
    const res = await run('gcc', ['-static', '-O2', '-Wall', '-s', '-I', join(work, 'include'), '-o', join(work, 'lusim_luo'), SOURCE]).catch((e: unknown) => {
      throw new LuoKernelError('host-missing', `gcc is not installed (${(e as Error).message}): apt-get install gcc libc6-dev.`);
    });
    if (res.code !== 0) throw new LuoKernelError('build-failed', `building lusim_luo failed: ${lastLines(res.stderr, 6)}`, { output: lastLines(res.stderr, 30) });
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    renameSync(join(work, 'lusim_luo'), bin);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return readFileSync(bin);
}

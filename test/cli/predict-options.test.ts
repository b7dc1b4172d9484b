/**
 * `lusim predict` options that name functions and drivers: a function the dump lacks is a usage
 * error (it would change nothing), and a driver the model has no steps of its own for is said to
 * bind as a generic one (sim/predict/machine.ts isModelledDriver).
 */
import { describe, expect, it } from 'vitest';
import { runLusim } from './in-process.js';

describe('lusim predict: the functions and drivers its options name', () => {
  const SWITCH = 'fixtures/fidelity/switch/7.x-boot-before-6.1.lspci';
  const predict = (extra: string[]) => runLusim(['predict', SWITCH, '--from', '6.12', '--to', '7.1', ...extra]);

  it.each([['--preserve', '09:00.0'], ['--driver-b', '09:00.0=none'], ['--driver-a', '0000:09:00.0=nvme']])('%s %s names a function the dump lacks: a usage error', async (option, value) => {
    const r = await predict([option, value]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('09:00.0: no such function in the dump; it holds 00:01.0, 01:00.0, 02:00.0, 03:00.0');
  });

  it('says when a driver binds as a generic one, and not for the drivers it models', async () => {
    const generic = await predict(['--driver-a', '03:00.0=mlx5_core']);
    expect(generic.code, generic.stderr).toBe(0);
    expect(generic.stderr).toContain('--driver-a 03:00.0=mlx5_core: lusim has no steps of mlx5_core\'s own');
    for (const known of ['nvme', 'virtio_blk', 'pcieport', 'none']) expect((await predict(['--driver-b', `03:00.0=${known}`])).stderr).toBe('');
  });

  it('a function given two drivers is a usage error, also in another spelling of its address', async () => {
    const r = await predict(['--driver-a', '03:00.0=nvme', '--driver-a', '0000:03:00.0=none']);
    expect([r.code, r.stderr.trim()]).toEqual([2, 'lusim: --driver-a gives 03:00.0 twice (nvme and none): give one driver per function']);
    expect((await predict(['--driver-a', '03:00.0=nvme', '--driver-b', '03:00.0=none'])).code).toBe(0);
  });
});

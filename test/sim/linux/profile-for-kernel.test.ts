/** The profile of a user's kernel from its version and config (sim/linux/profile-for-kernel.ts). */
import { describe, expect, it } from 'vitest';
import { parseKconfig } from '../../../sim/linux/kconfig.js';
import { parseKernelVersion, profileForKernel } from '../../../sim/linux/profile-for-kernel.js';

const none = parseKconfig('');

describe('profileForKernel', () => {
  it('maps a version with a profile of its own to it, with the verified boundaries inside a series', () => {
    expect(profileForKernel('6.1.0', none)).toMatchObject({ id: '6.1' });
    expect(profileForKernel('6.1.15', none)).toMatchObject({ id: '6.1.y' });
    expect(profileForKernel('6.1.158', none).warning).toBeUndefined();
    expect(profileForKernel('6.12.69', none)).toMatchObject({ id: '6.12' });
    expect(profileForKernel('6.12.70', none)).toMatchObject({ id: '6.12.y' });
    expect(profileForKernel('6.19.3', none)).toMatchObject({ id: '6.19' });
    for (const v of ['7.1', '7.2', '7.3']) expect(profileForKernel(`${v}.0-rc2-dirty`, none)).toEqual({ id: v, why: `${v}.0 is ${v}` });
  });

  it('warns where the 6.1.y L1SS revert is not verified (before 6.1.15)', () => {
    expect(profileForKernel('6.1.7', none)).toMatchObject({ id: '6.1.y', warning: expect.stringMatching(/not verified/) });
  });

  it('takes the nearest profile in release order (7.0 follows 6.19) and says so', () => {
    expect(profileForKernel('6.6.50', none)).toMatchObject({ id: '6.1.y', warning: expect.stringMatching(/no profile of its own; using the nearest, 6.1.y/) });
    expect(profileForKernel('6.8.1', none).id).toBe('6.12.y');
    expect(profileForKernel('7.0.0', none).id).toBe('6.19');
    expect(profileForKernel('7.4.0', none).id).toBe('7.3');
    expect(profileForKernel('5.10.0', none).id).toBe('6.1.y');
    // 6.15.x is 4 from 6.12.y and 4 from 6.19: the older one (6.19's changes are not known to be in).
    expect(profileForKernel('6.15.0', none).id).toBe('6.12.y');
  });

  it('a kernel with CONFIG_PCI_LIVEUPDATE has the PCI core series applied: lu-pci', () => {
    expect(profileForKernel('7.3.0', parseKconfig('CONFIG_PCI_LIVEUPDATE=y\n'))).toMatchObject({ id: 'lu-pci' });
    expect(profileForKernel('7.3.0', parseKconfig('# CONFIG_PCI_LIVEUPDATE is not set\n')).id).toBe('7.3');
  });

  it('parses releases', () => {
    expect(parseKernelVersion('6.12.117+deb12-cloud-amd64')).toEqual([6, 12, 117]);
    expect(parseKernelVersion('7.3-rc1')).toEqual([7, 3, 0]);
    expect(parseKernelVersion('linux')).toBeUndefined();
  });
});

/**
 * QEMU -device properties that change which bits are writable without changing the layout a
 * dump shows (devices/profiles/qemu-7.2.ts virtioNet; hw/virtio/virtio-pci.c virtio_pci_realize
 * runs pcie_cap_deverr_init / pcie_cap_lnkctl_init / pcie_cap_flr_init and opens PMCSR's
 * PowerState only while its x-pcie-*-init flag is on), and how a real run knows them: from the
 * `-device` arguments on QEMU's command line (kexec/run/real-capture.ts deviceProperties). Found by
 * `lusim fuzz --qemu` (test/e2e/fuzz-qemu.test.ts): virtio-net with x-pcie-deverr-init=off reads
 * DEVCTL 0 after the kernel wrote 0xf.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildFunction } from '../../devices/device.js';
import { parseLspci } from '../../devices/dump/lspci.js';
import { profileForDump } from '../../devices/profiles/index.js';
import { deviceProperties } from '../../kexec/run/real-capture.js';

const dump = parseLspci(readFileSync(fileURLToPath(new URL('../../fixtures/qemu/virtio-net.lspci', import.meta.url)), 'latin1'))[0]!;

async function afterWrite(props: Record<string, string> | undefined, capId: number, reg: number, value: number): Promise<number> {
  const fn = buildFunction(dump, profileForDump(dump, 'auto', props));
  const cap = fn.walk.capabilities.find((c) => c.id === capId && !c.extended)!.offset;
  const cfg = fn.space.access();
  await cfg.writew(cap + reg, value);
  return cfg.readw(cap + reg);
}

describe('QEMU device properties in the profile', () => {
  it('x-pcie-deverr-init=off leaves DEVCTL error reporting read-only 0; the default opens it', async () => {
    expect(await afterWrite(undefined, 0x10, 8, 0xf)).toBe(0xf);
    expect(await afterWrite({ 'x-pcie-deverr-init': 'on' }, 0x10, 8, 0xf)).toBe(0xf);
    expect(await afterWrite({ 'x-pcie-deverr-init': 'off' }, 0x10, 8, 0xf)).toBe(0);
  });

  it('x-pcie-pm-init=off leaves PowerState read-only', async () => {
    expect(await afterWrite({}, 0x01, 4, 3) & 3).toBe(3);
    expect(await afterWrite({ 'x-pcie-pm-init': 'false' }, 0x01, 4, 3) & 3).toBe(0);
  });

  it('names the profile after the flags that are off', () => {
    expect(profileForDump(dump, 'auto', { 'x-pcie-flr-init': 'off', 'x-pcie-lnkctl-init': 'off' }).name).toBe('qemu-7.2-virtio-net,x-pcie-lnkctl-init=off,x-pcie-flr-init=off');
    expect(profileForDump(dump, 'auto').name).toBe('qemu-7.2-virtio-net');
  });

  it('reads each device\'s properties off the QEMU command line by id', () => {
    const m = deviceProperties(['-M', 'q35', '-device', 'pcie-root-port,id=rp1,bus=pcie.0,chassis=1', '-device', 'virtio-net-pci,id=n0,bus=rp1,x-pcie-deverr-init=off', '-netdev', 'user,id=x']);
    expect(m.get('n0')).toEqual({ id: 'n0', bus: 'rp1', 'x-pcie-deverr-init': 'off' });
    expect(m.get('rp1')?.chassis).toBe('1');
    expect(m.has('x')).toBe(false);
  });
});

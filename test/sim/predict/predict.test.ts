/**
 * sim/predict against a real capture: fixtures/fidelity/switch holds the 7.x (7.2.13) guest's
 * switch topology before a kexec into 6.1 (6.1.0-57) and the real state after it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLE } from '../../../devices/bytes.js';
import { parseLspci } from '../../../devices/dump/lspci.js';
import { builtinDriver } from '../../../sim/predict/builtin-drivers.js';
import { predictMachine } from '../../../sim/predict/machine.js';

const DIR = join(__dirname, '..', '..', '..', 'fixtures', 'fidelity', 'switch');
const before = parseLspci(readFileSync(join(DIR, '7.x-boot-before-6.1.lspci'), 'utf8'));
const real = parseLspci(readFileSync(join(DIR, '7.x-to-6.1-kexec.lspci'), 'utf8'));
const at = (ds: typeof before, bdf: string) => ds.find((d) => `${d.bdf.bus.toString(16).padStart(2, '0')}:${d.bdf.device.toString(16).padStart(2, '0')}.${d.bdf.fn}` === bdf)!;

describe('built-in drivers of the cloud kernels', () => {
  it('nvme and pcieport everywhere, virtio-pci from 6.12 (CONFIG_VIRTIO_PCI=m in 6.1)', () => {
    expect(['00:01.0', '01:00.0', '02:00.0', '03:00.0'].map((b) => builtinDriver(at(before, b).bytes, '6.1'))).toEqual(['pcieport', 'pcieport', 'pcieport', 'nvme']);
    const virtio = parseLspci(readFileSync(join(DIR, '..', 'virtio', '6.1-boot-before-6.12.lspci'), 'utf8'))[1]!;
    expect(builtinDriver(virtio.bytes, '6.1')).toBeNull();
    expect(builtinDriver(virtio.bytes, '6.12')).toBe('virtio-pci');
  });
});

describe('predictMachine', () => {
  it('predicts every function of a dump in its order, equal to the real capture on every predictable register', async () => {
    const p = await predictMachine(before, { from: '7.1', to: '6.1' });
    expect(p.map((f) => f.bdf)).toEqual(['00:01.0', '01:00.0', '02:00.0', '03:00.0']);
    for (const f of p) {
      const r = at(real, f.bdf).bytes;
      for (const reg of f.registers.filter((x) => x.predictable)) expect(reg.after, `${f.bdf} ${reg.register}`).toBe(readLE(r, reg.offset, reg.width));
    }
    // 6.1's portdrv gives the switch ports the AER service: MSI on, INTx off (pcieport probe).
    const up = p[1]!;
    expect(up.driverB).toBe('pcieport');
    expect(up.registers.find((r) => r.register === 'PCI_COMMAND')).toMatchObject({ before: 0x0107, after: 0x0507, step: 'pcieport:pci_intx_for_msi' });
    // Its MSI message comes from the vector allocator: marked, not claimed.
    expect(up.registers.find((r) => r.register === 'PCI_MSI_ADDRESS_LO')).toMatchObject({ predictable: false, unpredictable: 'vector-allocator' });
  });

  it('honours driver overrides and preserved functions', async () => {
    const p = await predictMachine(before, { from: '7.1', to: '6.1', driverB: new Map([['03:00.0', null]]), preserve: [at(before, '03:00.0').bdf] });
    const nvme = p[3]!;
    expect(nvme).toMatchObject({ driverA: 'nvme', driverB: null, preserved: true });
    // Preserved: A's nvme shutdown still disables the device (pci_disable_device), no kexec clear; B binds nothing.
    expect(readLE(nvme.after, 4, 2) & 0x4).toBe(0);
    // With no driver below, the downstream port gets no pci_enable_bridge; its own probe in 6.1 sets master anyway.
    expect(p[2]!.registers.find((r) => r.register === 'PCI_COMMAND')?.after).toBe(0x0507);
  });
});

describe('predictMachine on a partial dump', () => {
  // lspci -xxx (256 bytes) of the switch: the extended space was never captured.
  const head = before.map((d) => ({ ...d, bytes: d.bytes.slice(0, 256) }));

  it('names the bytes the dump never captured and predicts no value there', async () => {
    const p = await predictMachine(head, { from: '7.1', to: '6.1' });
    for (const f of p) {
      expect(f.notCaptured, f.bdf).toEqual([[256, 4096]]);
      expect(f.known.subarray(0, 256).every((b) => b === 1) && f.known.subarray(256).every((b) => b === 0)).toBe(true);
      for (const r of f.registers) {
        if (r.offset + r.width > 256) expect(r, `${f.bdf} ${r.register}`).toMatchObject({ before: null, after: null, predictable: false });
        else expect(r.before, `${f.bdf} ${r.register}`).not.toBeNull();
      }
    }
  });

  it('says the prediction misses what the kernels do with capabilities the dump lacks', async () => {
    const whole = await predictMachine(before, { from: '7.1', to: '6.1' });
    const part = await predictMachine(head, { from: '7.1', to: '6.1' });
    expect(whole.every((f) => f.notCaptured === undefined)).toBe(true);
    expect(part.every((f) => f.notes[0]?.includes('Capabilities the dump does not hold are not modelled'))).toBe(true);
    // Without the AER capability (0x100) 6.1's portdrv gives the switch ports no AER service, so
    // they keep INTx (get_port_device_capability; pcie_init_service_irqs): the whole dump's MSI
    // set-up is missing from the partial one's prediction, which is why the note says so.
    const msi = (f: (typeof part)[number]) => f.registers.filter((r) => r.location === 'msi').length;
    expect(whole.map(msi)).toEqual([0, 4, 4, 0]);
    expect(part.map(msi)).toEqual([0, 0, 0, 0]);
  });

  it('lists an uncaptured register a kernel step wrote, so the user sees it was touched', async () => {
    // A row lost in a paste: the upstream port's Link Control (PCIe capability at 0x90, 0xa0),
    // which 6.1's pcie_aspm_configure_common_clock writes at enumeration.
    const known = new Uint8Array(4096).fill(1).fill(0, 0xa0, 0xb0);
    const gap = before.map((d, i) => (i === 1 ? { ...d, known } : d));
    const p = await predictMachine(gap, { from: '7.1', to: '6.1' });
    expect(p[1]!.notCaptured).toEqual([[0xa0, 0xb0]]);
    expect(p[1]!.registers.find((r) => r.register === 'PCI_EXP_LNKCTL')).toMatchObject({ offset: 0xa0, before: null, after: null, predictable: false, step: expect.stringContaining('pcie_aspm_configure_common_clock') });
    expect(p[1]!.registers.filter((r) => r.before === null).every((r) => r.offset >= 0xa0 && r.offset < 0xb0)).toBe(true);
  });
});

/**
 * Smoke test of the real run's parts: boot bookworm's 6.12 cloud kernel on q35 (TCG) with e1000e
 * and nvme behind root ports, talk to the guest agent, read the kernel's own view of the devices,
 * check the memmap= handover range is reserved, kexec into bookworm's 6.1 and meet its agent.
 *
 * Needs the kernels in the cache (`lusim kernels fetch --for-tests`, run by `npm test`). Without
 * them it skips, except under CI, where a missing kernel is a failure.
 */
import { describe, expect, it } from 'vitest';
import { AgentClient, newNonce, openAgentChannel, type PciDeviceInfo } from '../../kexec/guest/agent-client.js';
import { DEFAULT_HANDOVER, guestCmdline, reservedInIomem } from '../../kexec/run/handover.js';
import { buildChain } from '../../kexec/guest/initramfs.js';
import { findKernel, requireKernel } from '../../kexec/kernels/kernels.js';
import { behindRootPorts, withQemu } from '../../kexec/qemu/launcher.js';

const cached = findKernel('6.12') !== undefined && findKernel('6.1') !== undefined;
const skip = !cached && !process.env.CI;
const title = skip
  ? 'boots 6.12, lists devices, kexecs into 6.1 (SKIPPED: kernels not cached; run `npx tsx cli/main.ts kernels fetch --for-tests`)'
  : 'boots 6.12, lists devices, kexecs into 6.1';

// The agent gets its own serial port (ttyS1): the console (ttyS0) keeps the kernel's messages.
const CMDLINE = guestCmdline({ agentTty: 'ttyS1' });
const KEXEC_CMDLINE = guestCmdline({ agentTty: 'ttyS1', kexeced: true });

function byId(devs: readonly PciDeviceInfo[], vendor: number, device: number): PciDeviceInfo {
  const d = devs.find((x) => x.vendor === vendor && x.device === device);
  if (!d) throw new Error(`no ${vendor.toString(16)}:${device.toString(16)} among ${devs.map((x) => x.bdf).join(' ')}`);
  return d;
}

describe('real boot and kexec (QEMU TCG, Debian cloud kernels)', () => {
  it.skipIf(skip)(title, async () => {
    const from = requireKernel('6.12');
    const to = requireKernel('6.1');
    const [image] = buildChain([from, to], { cmdline: () => KEXEC_CMDLINE, devices: ['e1000e', 'nvme'], handover: DEFAULT_HANDOVER });
    const channel = await openAgentChannel();
    const nonce = newNonce();
    const t0 = Date.now();
    try {
      await withQemu(
        {
          devices: behindRootPorts([{ driver: 'e1000e', id: 'nic' }, { driver: 'nvme', id: 'disk', props: { serial: 'lusim0' } }]),
          boot: { kernel: from.vmlinuz, initrd: image!.path, append: `${CMDLINE} lusim.nonce=${nonce}` },
          memoryMiB: 1024,
          smp: 2,
          // A panic (panic=-1 reboots) ends QEMU instead of booting kernel A again.
          extraArgs: [...channel.qemuArgs, '-no-reboot'],
        },
        async (q) => {
          const line = await Promise.race([channel.connected, q.exited.then(() => Promise.reject(new Error(`QEMU exited: ${q.stderr()}`)))]);
          const agent = new AgentClient(line, nonce, () => q.console.tail(30));
          expect(await agent.waitReady(60_000)).toBe(from.release);
          const tReady = Date.now() - t0;

          const devs = await agent.devices();
          const nic = byId(devs, 0x8086, 0x10d3);
          const nvme = byId(devs, 0x1b36, 0x0010);
          // Measured on 6.12.117: e1000e behind a root port offers PM (D3hot->D0, No_Soft_Reset
          // clear) and the secondary bus reset of its port; nvme advertises FLR in DEVCAP.
          // drivers/pci/pci.c pci_reset_fn_methods order: ..., flr, af_flr, pm, bus, ...
          expect(nic.resetMethods).toEqual(['pm', 'bus']);
          expect(nvme.resetMethods[0]).toBe('flr');
          // Cloud kernels build nvme in and have no e1000e driver at all (CONFIG_E1000E is not set).
          expect(nvme.driver).toBe('nvme');
          expect(nic.driver).toBeNull();
          expect(reservedInIomem(await agent.iomem(), DEFAULT_HANDOVER)).toBe(true);

          const t1 = Date.now();
          expect(await agent.kexec('k1', { bootTimeoutMs: 60_000 })).toBe(to.release);
          const tKexec = Date.now() - t1;
          expect(await agent.uname()).toBe(to.release);
          const after = await agent.devices();
          expect(byId(after, 0x8086, 0x10d3).resetMethods).toEqual(['pm', 'bus']);
          expect(byId(after, 0x1b36, 0x0010).resetMethods[0]).toBe('flr');
          expect(reservedInIomem(await agent.iomem(), DEFAULT_HANDOVER)).toBe(true);
          console.log(`boot-kexec: READY after ${tReady} ms, kexec 6.12 -> 6.1 READY after ${tKexec} ms, total ${Date.now() - t0} ms; reset_method e1000e=${nic.resetMethods.join(' ')} nvme=${nvme.resetMethods.join(' ')}`);
        },
        150_000,
      );
    } finally {
      channel.close();
    }
  }, 180_000);
});

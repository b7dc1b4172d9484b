/**
 * Generates fixtures/synthetic/*.lspci: hand-built devices for behaviour no QEMU 7.2 device has
 * (QEMU 7.2 implements no LTR or L1SS: qemu.md section 1). Run: npx tsx scripts/make-synthetic.ts
 *
 * endpoint-l1ss: the worked example of linux-pci.md section 5: a PCIe v2 endpoint with AER (v2,
 * no TLP prefix), LTR and L1SS, plus PM and MSI-X, and ASPM/L1SS/LTR advertised so the kernels
 * allocate the L1SS buffer (pci_configure_aspm_l1ss needs PCI_L1SS_CAP support bits).
 *
 * root-port-l1ss: the Root Port above endpoint-l1ss (secondary bus 2), so the cycle can model both
 * ends of the link: kernels 6.12+ restore L1SS only from the downstream end of a link whose
 * upstream port also has L1SS (pcie/aspm.c pci_restore_aspm_l1ss_state), and
 * pci_bridge_reconfigure_ltr re-sets LTR_EN on the bridge only when bridge->ltr_path (which
 * pci_configure_ltr sets on a Root Port with DEVCAP2_LTR). PCIe v2 Root Port with ASPM L0s/L1,
 * LTR, AER (with the Root Port registers) and L1SS; no slot.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { formatLspci } from '../devices/dump/lspci.js';
import { parseBdf } from '../devices/dump/bdf.js';

function endpointL1ss(): Uint8Array {
  const b = new Uint8Array(4096);
  const w16 = (o: number, v: number) => { b[o] = v & 0xff; b[o + 1] = (v >> 8) & 0xff; };
  const w32 = (o: number, v: number) => { w16(o, v & 0xffff); w16(o + 2, v >>> 16); };
  w16(0x00, 0x1d0f); w16(0x02, 0xcafe); // synthetic vendor:device
  w16(0x06, 0x0010); // CAP_LIST
  w32(0x08, 0x01080200); // class 010802 (NVMe), revision 0
  w32(0x10, 0x00000004); // BAR0: 64-bit memory
  w16(0x2c, 0x1d0f); w16(0x2e, 0x0001);
  b[0x34] = 0x40; b[0x3d] = 0x01;
  // PM v3 at 0x40 -> MSI-X at 0x50
  b[0x40] = 0x01; b[0x41] = 0x50; w16(0x42, 0x0003); w16(0x44, 0x0008);
  // MSI-X at 0x50 (8 vectors, table BAR0+0x2000, PBA BAR0+0x3000) -> PCIe at 0x70
  b[0x50] = 0x11; b[0x51] = 0x70; w16(0x52, 0x0007); w32(0x54, 0x00002000); w32(0x58, 0x00003000);
  // PCIe v2 endpoint at 0x70: DEVCAP MPSS 256 + FLR + RBER; LNKCAP 8GT/s x4 ASPM L0s+L1, ClkPM;
  // DEVCAP2 LTR; LNKCAP2 speeds 2.5-8; DEVCTL defaults (RELAX_EN, NOSNOOP_EN, READRQ 512).
  b[0x70] = 0x10; b[0x71] = 0x00; w16(0x72, 0x0002);
  w32(0x74, 0x10008001); w16(0x78, 0x2810); w32(0x7c, 0x00047c43); w16(0x80, 0x0040); w16(0x82, 0x1043);
  w32(0x94, 0x00000800); w32(0x9c, 0x0000000e); w16(0xa0, 0x0003);
  // AER v2 at 0x100 -> LTR at 0x140 -> L1SS at 0x148 -> DSN at 0x158
  w32(0x100, 0x0001 | (2 << 16) | (0x140 << 20)); w32(0x10c, 0x00462030); w32(0x114, 0x0000e000);
  w32(0x140, 0x0018 | (1 << 16) | (0x148 << 20)); w16(0x144, 0x1003); w16(0x146, 0x1003);
  w32(0x148, 0x001e | (1 << 16) | (0x158 << 20)); w32(0x14c, 0x0028281f); // L1SS CAP: PCI-PM/ASPM L1.1/L1.2 + L1PM
  w32(0x158, 0x0003 | (1 << 16)); w32(0x15c, 0x12345678); w32(0x160, 0x9abcdef0);
  return b;
}

function rootPortL1ss(): Uint8Array {
  const b = new Uint8Array(4096);
  const w16 = (o: number, v: number) => { b[o] = v & 0xff; b[o + 1] = (v >> 8) & 0xff; };
  const w32 = (o: number, v: number) => { w16(o, v & 0xffff); w16(o + 2, v >>> 16); };
  w16(0x00, 0x1d0f); w16(0x02, 0xcaf0); // synthetic vendor:device
  w16(0x06, 0x0010); // CAP_LIST
  w32(0x08, 0x06040000); // class 060400 (PCI-to-PCI bridge), revision 0
  b[0x0e] = 0x01; // header type 1
  b[0x18] = 0x00; b[0x19] = 0x02; b[0x1a] = 0x02; // primary 0, secondary 2, subordinate 2 (endpoint-l1ss is 02:00.0)
  b[0x34] = 0x40; b[0x3d] = 0x01;
  // PM v3 at 0x40 -> MSI (64-bit) at 0x50
  b[0x40] = 0x01; b[0x41] = 0x50; w16(0x42, 0x0003); w16(0x44, 0x0008);
  b[0x50] = 0x05; b[0x51] = 0x60; w16(0x52, 0x0080);
  // PCIe v2 Root Port at 0x60: DEVCAP MPSS 256 + RBER; LNKCAP port 1, 8GT/s x4, ASPM L0s+L1, ClkPM;
  // DEVCAP2 LTR; LNKCAP2 speeds 2.5-8; the same DEVCTL/LNKCTL defaults as the endpoint.
  b[0x60] = 0x10; b[0x61] = 0x00; w16(0x62, 0x0042);
  w32(0x64, 0x00008001); w16(0x68, 0x2810); w32(0x6c, 0x01047c43); w16(0x70, 0x0040); w16(0x72, 0x1043);
  w32(0x84, 0x00000800); w32(0x8c, 0x0000000e); w16(0x90, 0x0003);
  // AER v2 at 0x100 (Root Port registers at 0x12c..0x137) -> L1SS at 0x140
  w32(0x100, 0x0001 | (2 << 16) | (0x140 << 20)); w32(0x10c, 0x00462030); w32(0x114, 0x0000e000);
  w32(0x140, 0x001e | (1 << 16)); w32(0x144, 0x0028281f); // L1SS CAP: PCI-PM/ASPM L1.1/L1.2 + L1PM
  return b;
}

mkdirSync('fixtures/synthetic', { recursive: true });
writeFileSync('fixtures/synthetic/root-port-l1ss.lspci', formatLspci([{ bdf: parseBdf('00:1c.0'), description: 'PCI bridge: synthetic Root Port with LTR, ASPM, AER and L1SS above endpoint-l1ss', bytes: rootPortL1ss() }]));
console.log('wrote fixtures/synthetic/root-port-l1ss.lspci');
writeFileSync('fixtures/synthetic/endpoint-l1ss.lspci', formatLspci([{ bdf: parseBdf('02:00.0'), description: 'Non-Volatile memory controller: synthetic endpoint with AER, LTR and L1SS (linux-pci.md section 5 example)', bytes: endpointL1ss() }]));
console.log('wrote fixtures/synthetic/endpoint-l1ss.lspci');

/**
 * Capability lookup exactly as the kernel does it, over a ConfigAccess, so the same code runs
 * against the model and against QEMU. The one implementation for sim/linux (through its PciDev
 * wrappers), sim/kexec-sim and the tests; devices/walker.ts shares its TTLs.
 *  - pci_find_capability: __pci_bus_find_cap_start (Status.CAP_LIST, 0x34 for header types 0 and
 *    1, 0x14 for CardBus, none otherwise), then __pci_find_next_cap_ttl (v6.1 drivers/pci/pci.c) /
 *    PCI_FIND_NEXT_CAP (v7.1 drivers/pci/pci.h): at most PCI_FIND_CAP_TTL hops, stop on a pointer
 *    below 0x40, align the pointer down to 4, stop on ID 0xff.
 *  - pci_find_next_ext_capability: 0 unless cfg_size > 256; start at 0x100; header 0 means none;
 *    at most (4096 - 256) / 8 hops; PCI_EXT_CAP_NEXT masks with 0xffc; a next pointer below 0x100
 *    ends the walk. v6.1's loop and v7.1's PCI_FIND_NEXT_EXT_CAP macro agree.
 */
import { readWidth, type ConfigAccess, type Width } from './access.js';
import {
  PCI_CAPABILITY_LIST, PCI_CAP_ID_EXP, PCI_CB_CAPABILITY_LIST, PCI_CFG_SPACE_EXP_SIZE, PCI_CFG_SPACE_SIZE,
  PCI_EXP_FLAGS, PCI_EXT_CAP_ID, PCI_EXT_CAP_NEXT, PCI_HEADER_TYPE, PCI_HEADER_TYPE_BRIDGE,
  PCI_HEADER_TYPE_CARDBUS, PCI_HEADER_TYPE_MASK, PCI_HEADER_TYPE_NORMAL, PCI_STATUS, PCI_STATUS_CAP_LIST,
  PCI_STD_HEADER_SIZEOF,
} from './pci-regs.js';

/** drivers/pci/pci.c (v6.1) / drivers/pci/pci.h (v7.1). */
export const PCI_FIND_CAP_TTL = 48;
/** The extended walk's bound in pci_find_next_ext_capability: one hop per 8 bytes of extended space. */
export const PCI_EXT_CAP_TTL = (PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 8;

/** The struct pci_dev fields the lookups read: the config accessor, dev->hdr_type and dev->cfg_size. */
export interface CapLookup {
  readonly config: ConfigAccess;
  readonly hdrType: number;
  readonly cfgSize: number;
}

/** What probe.c pci_setup_device learns before any capability user runs (see pciSetupCapLookup). */
export interface SetupCapLookup extends CapLookup {
  /** pci_pcie_cap(dev); 0 when not PCIe. */
  readonly pcieCap: number;
  /** pcie_caps_reg(dev): PCI_EXP_FLAGS; 0 when not PCIe. */
  readonly pcieFlags: number;
}

/**
 * A lookup written once as the reads it makes: it yields [offset, width] and is handed the value
 * read. `run` serves the reads from ConfigAccess.peek when the backend has it (the model), else
 * one awaited read each (QEMU): the same reads in the same order either way.
 */
type Lookup<T = number> = Generator<readonly [offset: number, width: Width], T, number>;

async function run<T>(c: ConfigAccess, lookup: Lookup<T>): Promise<T> {
  let step = lookup.next();
  const peek = c.peek;
  if (peek) {
    while (!step.done) step = lookup.next(peek(step.value[0], step.value[1]));
    return step.value;
  }
  while (!step.done) step = lookup.next(await readWidth(c, step.value[0], step.value[1]));
  return step.value;
}

/** __pci_find_next_cap_ttl: `pos` is the offset of a pointer byte (0x34 or a capability's +1). */
function* pciFindNextCapTtl(pos: number, cap: number): Lookup {
  let ttl = PCI_FIND_CAP_TTL;
  let p = yield [pos, 1];
  while (ttl-- > 0) {
    if (p < PCI_STD_HEADER_SIZEOF) break;
    p &= ~3;
    const ent = yield [p, 2];
    const id = ent & 0xff;
    if (id === 0xff) break;
    if (id === cap) return p;
    p = ent >> 8;
  }
  return 0;
}

/** __pci_bus_find_cap_start. */
function* pciBusFindCapStart(hdrType: number): Lookup {
  const status = yield [PCI_STATUS, 2];
  if (!(status & PCI_STATUS_CAP_LIST)) return 0;
  if (hdrType === PCI_HEADER_TYPE_NORMAL || hdrType === PCI_HEADER_TYPE_BRIDGE) return PCI_CAPABILITY_LIST;
  if (hdrType === PCI_HEADER_TYPE_CARDBUS) return PCI_CB_CAPABILITY_LIST;
  return 0;
}

/** pci_find_capability(dev, cap). */
function* findCapability(hdrType: number, cap: number): Lookup {
  const start = yield* pciBusFindCapStart(hdrType);
  return start ? yield* pciFindNextCapTtl(start, cap) : 0;
}

export const pciFindCapability = (d: CapLookup, cap: number): Promise<number> => run(d.config, findCapability(d.hdrType, cap));

/** pci_find_next_ext_capability(dev, start, cap). */
function* findNextExtCapability(cfgSize: number, start: number, cap: number): Lookup {
  if (cfgSize <= PCI_CFG_SPACE_SIZE) return 0;
  let pos = start || PCI_CFG_SPACE_SIZE;
  let ttl = PCI_EXT_CAP_TTL;
  let header = yield [pos, 4];
  if (header === 0) return 0;
  while (ttl-- > 0) {
    if (PCI_EXT_CAP_ID(header) === cap && pos !== start) return pos;
    pos = PCI_EXT_CAP_NEXT(header);
    if (pos < PCI_CFG_SPACE_SIZE) break;
    header = yield [pos, 4];
  }
  return 0;
}

export const pciFindNextExtCapability = (d: CapLookup, start: number, cap: number): Promise<number> => run(d.config, findNextExtCapability(d.cfgSize, start, cap));

/** pci_find_ext_capability(dev, cap). */
export const pciFindExtCapability = (d: CapLookup, cap: number): Promise<number> => pciFindNextExtCapability(d, 0, cap);

/**
 * The part of probe.c pci_setup_device the lookups depend on: dev->hdr_type (& 0x7f),
 * set_pcie_port_type (pcie_cap, pcie_flags_reg) and pci_cfg_space_size. Of the latter only the
 * PCIe rule is modelled (4096 unless the dword at 0x100 reads all-ones); PCI-X 2.0 266/533
 * functions, which also get 4096, are sized at 256 here.
 */
export const pciSetupCapLookup = (c: ConfigAccess): Promise<SetupCapLookup> => run(c, setupCapLookup(c));

function* setupCapLookup(c: ConfigAccess): Lookup<SetupCapLookup> {
  const hdrType = (yield [PCI_HEADER_TYPE, 1]) & PCI_HEADER_TYPE_MASK;
  const pcieCap = yield* findCapability(hdrType, PCI_CAP_ID_EXP);
  const pcieFlags = pcieCap ? yield [pcieCap + PCI_EXP_FLAGS, 2] : 0;
  const ext = pcieCap !== 0 && c.size > PCI_CFG_SPACE_SIZE && (yield [PCI_CFG_SPACE_SIZE, 4]) !== 0xffffffff;
  return { config: c, hdrType, cfgSize: ext ? PCI_CFG_SPACE_EXP_SIZE : PCI_CFG_SPACE_SIZE, pcieCap, pcieFlags };
}

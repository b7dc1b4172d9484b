/**
 * The handover envelope: a KHO-style flattened device tree that carries one PCI state payload per
 * preserved device across the simulated (and the real) kexec. Modelled on LUO's own tree
 * (kernel/liveupdate, linux-pci.md 9.4): a `compatible` version string on the root and on every
 * payload, matched by exact string comparison (luo_file.c luo_file_deserialize: strcmp against
 * the registered handlers, -ENOENT when none matches).
 *
 *   / {
 *       compatible = "lusim-handover-v1";
 *       pci-0000-03-00.0 {
 *           compatible = "lusim,pci-state-linux-blob-v1";   (or "lusim,pci-state-lusim-v1")
 *           bdf = "0000:03:00.0";
 *           payload = [ ... bytes ... ];
 *       };
 *   };
 *
 * Node names use '-' because ':' is not a valid node-name character (DT spec 2.2.1) and a
 * unit address ('@') would need a `reg` property. Unknown properties are ignored (later versions
 * may add some); an unknown payload compatible refuses the whole envelope, as LUO does.
 */
import { SimError } from '../errors.js';
import { fdtString, fdtStringValue, readFdt, writeFdt } from './fdt.js';
import type { FdtNode } from './fdt.js';

export const ENVELOPE_COMPATIBLE = 'lusim-handover-v1';

export type PayloadFormat = 'linux-blob' | 'lusim-v1';

export const PAYLOAD_COMPATIBLE: Readonly<Record<PayloadFormat, string>> = {
  'linux-blob': 'lusim,pci-state-linux-blob-v1',
  'lusim-v1': 'lusim,pci-state-lusim-v1',
};

export interface PreservedDevice {
  /** Domain:bus:device.function, lower-case hex, as lspci -D prints it: "0000:03:00.0". */
  readonly bdf: string;
  readonly format: PayloadFormat;
  readonly payload: Uint8Array;
}

const BDF = /^([0-9a-f]{4}):([0-9a-f]{2}):([01][0-9a-f])\.([0-7])$/;

export function bdfNodeName(bdf: string): string {
  const m = BDF.exec(bdf);
  if (!m) {
    throw new SimError('invalid-input', `"${bdf}" is not a BDF; write it as lspci -D does, e.g. 0000:03:00.0`, { bdf });
  }
  return `pci-${m[1]}-${m[2]}-${m[3]}.${m[4]}`;
}

export function encodeHandover(devices: readonly PreservedDevice[]): Uint8Array {
  const seen = new Set<string>();
  const children: FdtNode[] = devices.map((d) => {
    const name = bdfNodeName(d.bdf);
    if (seen.has(d.bdf)) throw new SimError('invalid-input', `device ${d.bdf} is preserved twice`, { bdf: d.bdf });
    seen.add(d.bdf);
    const compatible = PAYLOAD_COMPATIBLE[d.format];
    if (!compatible) throw new SimError('invalid-input', `unknown payload format "${String(d.format)}"`, { format: d.format });
    return {
      name,
      properties: [
        { name: 'compatible', value: fdtString(compatible) },
        { name: 'bdf', value: fdtString(d.bdf) },
        { name: 'payload', value: d.payload },
      ],
      children: [],
    };
  });
  return writeFdt({ name: '', properties: [{ name: 'compatible', value: fdtString(ENVELOPE_COMPATIBLE) }], children });
}

function envelopeInvalid(message: string, details: Record<string, unknown> = {}): SimError {
  return new SimError('envelope-invalid', `handover envelope: ${message}`, details);
}

function stringProp(node: FdtNode, name: string): string {
  const p = node.properties.find((q) => q.name === name);
  if (!p) throw envelopeInvalid(`node "${node.name || '/'}" has no "${name}" property`, { node: node.name, property: name });
  const s = fdtStringValue(p.value);
  if (s === undefined) throw envelopeInvalid(`"${name}" of node "${node.name || '/'}" is not one printable string`, { node: node.name, property: name });
  return s;
}

/** Reads an envelope back; refuses (SimError) anything not written by a compatible encoder. */
export function decodeHandover(bytes: Uint8Array): PreservedDevice[] {
  const { root } = readFdt(bytes);
  const rootCompatible = stringProp(root, 'compatible');
  if (rootCompatible !== ENVELOPE_COMPATIBLE) {
    const newer = /^lusim-handover-v\d+$/.test(rootCompatible);
    throw new SimError(
      newer ? 'unsupported-version' : 'envelope-invalid',
      newer
        ? `handover envelope is "${rootCompatible}"; this lusim reads "${ENVELOPE_COMPATIBLE}" only. Decode it with the lusim that wrote it.`
        : `root compatible is "${rootCompatible}", not "${ENVELOPE_COMPATIBLE}": this device tree is not a lusim handover envelope`,
      { compatible: rootCompatible },
    );
  }
  const formats = Object.entries(PAYLOAD_COMPATIBLE) as [PayloadFormat, string][];
  return root.children.map((node) => {
    const compatible = stringProp(node, 'compatible');
    const format = formats.find(([, c]) => c === compatible)?.[0];
    if (!format) {
      throw new SimError(
        'unknown-compatible',
        `device node "${node.name}" holds a "${compatible}" payload and no handler here reads it (LUO: -ENOENT); the handover is refused. Known: ${formats.map(([, c]) => c).join(', ')}`,
        { node: node.name, compatible },
      );
    }
    const bdf = stringProp(node, 'bdf');
    if (!BDF.test(bdf) || bdfNodeName(bdf) !== node.name) {
      throw envelopeInvalid(`node "${node.name}" carries bdf "${bdf}", which does not name it`, { node: node.name, bdf });
    }
    const payload = node.properties.find((p) => p.name === 'payload');
    if (!payload) throw envelopeInvalid(`node "${node.name}" has no payload`, { node: node.name });
    return { bdf, format, payload: payload.value };
  });
}

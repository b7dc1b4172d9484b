/**
 * A finding's signature (issue 10: oracle, kernels, drift, the registers involved; plus the kind,
 * format and flow): findings with the same signature are one finding, reported and shrunk once.
 */
import type { FuzzCase } from './case.js';
import type { Finding } from './oracles.js';

export function signatureOf(c: Pick<FuzzCase, 'from' | 'to' | 'format' | 'flow' | 'drift'>, f: Finding): string {
  return [`${f.oracle}/${f.kind}`, `${c.from}->${c.to}`, c.format, c.flow, c.drift ?? '-', f.registers.join(',') || '-'].join(' | ');
}

/** FNV-1a, 32 bits, as 8 hex digits: a short stable name for corpus files. */
export function signatureId(signature: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < signature.length; i++) h = Math.imul(h ^ signature.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

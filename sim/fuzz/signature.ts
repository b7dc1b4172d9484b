/**
 * A finding's signature (issue 10: oracle, kernels, drift, the registers involved; plus the kind,
 * format and flow): findings with the same signature are one finding, reported and shrunk once.
 */
import type { FuzzCase } from './case.js';
import type { Finding } from './oracles.js';

type SignedCycle = Pick<FuzzCase, 'from' | 'to' | 'format' | 'flow' | 'drift'>;

/** The part of a signature its cycle gives: two cycles with different keys never share a signature. */
export function cycleKey(c: SignedCycle): string {
  return [`${c.from}->${c.to}`, c.format, c.flow, c.drift ?? '-'].join(' | ');
}

export function signatureOf(c: SignedCycle, f: Finding): string {
  return [`${f.oracle}/${f.kind}`, cycleKey(c), f.registers.join(',') || '-'].join(' | ');
}

/** FNV-1a, 32 bits, as 8 hex digits: a short stable name for corpus files. */
export function signatureId(signature: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < signature.length; i++) h = Math.imul(h ^ signature.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

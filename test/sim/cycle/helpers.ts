/** Shared set-up for the cycle suites: modelled fixtures by name. */
import { readFileSync } from 'node:fs';
import { buildFunction, type PciFunction } from '../../../devices/device.js';
import { parseLspci } from '../../../devices/dump/lspci.js';
import { SPEC_PROFILE } from '../../../devices/profile.js';
import { profileForDump } from '../../../devices/profiles/index.js';

export function fixture(name: string, profile: 'spec' | 'auto' = 'spec'): () => PciFunction {
  const path = name === 'endpoint-l1ss' ? 'fixtures/synthetic/endpoint-l1ss.lspci' : `fixtures/qemu/${name}.lspci`;
  const [dump] = parseLspci(readFileSync(path, 'utf8'));
  const p = profile === 'spec' ? SPEC_PROFILE : profileForDump(dump, 'auto');
  return () => buildFunction(dump, p);
}

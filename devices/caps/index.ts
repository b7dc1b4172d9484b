/**
 * The capability registry: one line per capability file. The walker looks definitions up here.
 */
import type { CapabilityDef } from '../capability.js';
import { pm } from './pm.js';
import { af } from './af.js';
import { ea } from './ea.js';
import { msi } from './msi.js';
import { msix } from './msix.js';
import { pcie } from './pcie.js';
import { pcix } from './pcix.js';
import { ssvid } from './ssvid.js';
import { vndr } from './vndr.js';
import { acs } from './acs.js';
import { aer } from './aer.js';
import { ari } from './ari.js';
import { ats } from './ats.js';
import { doe } from './doe.js';
import { dpc } from './dpc.js';
import { dsn } from './dsn.js';
import { dvsec } from './dvsec.js';
import { l1ss } from './l1ss.js';
import { ltr } from './ltr.js';
import { pasid } from './pasid.js';
import { pri } from './pri.js';
import { ptm } from './ptm.js';
import { rebar } from './rebar.js';
import { secpci } from './secpci.js';
import { pwr } from './pwr.js';
import { vpd } from './vpd.js';
import { sriov } from './sriov.js';
import { tph } from './tph.js';
import { mfvc, vc, vc9 } from './vc.js';
import { vsec } from './vsec.js';

export const STANDARD_CAPABILITIES: readonly CapabilityDef[] = [pm, vpd, msi, pcix, vndr, ssvid, pcie, msix, af, ea];

export const EXTENDED_CAPABILITIES: readonly CapabilityDef[] = [
  aer, vc, dsn, pwr, mfvc, vc9, vsec, acs, ari, ats, sriov, pri, rebar, tph, ltr, secpci, pasid, dpc, l1ss, ptm, dvsec, doe,
];

const byKey = new Map<string, CapabilityDef>();
for (const d of [...STANDARD_CAPABILITIES, ...EXTENDED_CAPABILITIES]) byKey.set(`${d.extended}:${d.id}`, d);

export function capabilityDef(id: number, extended: boolean): CapabilityDef | undefined {
  return byKey.get(`${extended}:${id}`);
}

export function capabilityByKey(key: string): CapabilityDef | undefined {
  return [...STANDARD_CAPABILITIES, ...EXTENDED_CAPABILITIES].find((d) => d.key === key);
}

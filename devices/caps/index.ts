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
import { agp } from './agp.js';
import { slotid } from './slotid.js';
import { chswp } from './chswp.js';
import { ht } from './ht.js';
import { dbg } from './dbg.js';
import { shpc } from './shpc.js';
import { sata } from './sata.js';
import { rcld } from './rcld.js';
import { rcilc } from './rcilc.js';
import { rcec } from './rcec.js';
import { rcrb } from './rcrb.js';
import { mcast } from './mcast.js';
import { dpa } from './dpa.js';
import { lnr } from './lnr.js';
import { vfRebar } from './vf-rebar.js';
import { dlf } from './dlf.js';
import { pl16gt } from './pl16gt.js';
import { lmr } from './lmr.js';
import { npem } from './npem.js';
import { pl32gt } from './pl32gt.js';
import { dev3 } from './dev3.js';
import { pl64gt } from './pl64gt.js';
import { ide } from './ide.js';

export const STANDARD_CAPABILITIES: readonly CapabilityDef[] = [pm, agp, vpd, slotid, msi, chswp, pcix, ht, vndr, dbg, shpc, ssvid, pcie, msix, sata, af, ea];

export const EXTENDED_CAPABILITIES: readonly CapabilityDef[] = [
  aer, vc, dsn, pwr, rcld, rcilc, rcec, mfvc, vc9, rcrb, vsec, acs, ari, ats, sriov, mcast, pri, rebar, dpa, tph, ltr, secpci,
  pasid, lnr, dpc, l1ss, ptm, dvsec, vfRebar, dlf, pl16gt, lmr, npem, pl32gt, doe, dev3, ide, pl64gt,
];

const byKey = new Map<string, CapabilityDef>();
for (const d of [...STANDARD_CAPABILITIES, ...EXTENDED_CAPABILITIES]) byKey.set(`${d.extended}:${d.id}`, d);

export function capabilityDef(id: number, extended: boolean): CapabilityDef | undefined {
  return byKey.get(`${extended}:${id}`);
}

export function capabilityByKey(key: string): CapabilityDef | undefined {
  return [...STANDARD_CAPABILITIES, ...EXTENDED_CAPABILITIES].find((d) => d.key === key);
}

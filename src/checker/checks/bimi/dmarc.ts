/**
 * BIMI's DMARC precondition (BIMI draft §4.1 and §7; BIMI Group implementation
 * guide, as summarised in research/checkers.md): receivers show a logo only
 * for mail under an enforcing DMARC policy.
 *
 * - the policy that applies to the domain is `quarantine` or `reject`
 *   (for a subdomain without its own record, that is the parent's `sp`);
 * - it applies to all mail: `pct=100` (RFC 7489 records; DMARCbis dropped pct),
 *   and not `quarantine` in DMARCbis testing mode (`t=y` applies it one step
 *   lower, i.e. as none);
 * - the organizational domain enforces too: its `p` is not `none` and its
 *   `sp` is not `none` (so no subdomain of the brand is left unprotected).
 *
 * DMARC discovery is not re-implemented: we read the DMARC check's results.
 */
import { effectiveDmarcPolicy } from '../dmarc/index.ts';
import { correctedRecordText, defaultRuaFor, txtLine, type RecordChanges } from '../dmarc/fixes.ts';
import { parseDmarc } from '../dmarc/parse.ts';
import type { CheckResult } from '../../types.ts';

export interface DmarcRequirement {
  verdict: 'enforced' | 'not_enforced' | 'unknown';
  /** why it is not enforced (plain English, one per rule broken) */
  reasons: string[];
  /** pasteable records that would satisfy BIMI */
  fixes: string[];
  /** why we could not tell (verdict unknown) */
  unknownBecause?: string;
  evidence: Record<string, unknown>;
}

interface Side {
  domain: string;
  result: CheckResult;
}

function recordDomainOf(result: CheckResult): string | null {
  const loc = result.evidence.location;
  return typeof loc === 'string' && loc.startsWith('_dmarc.') ? loc.slice('_dmarc.'.length) : null;
}

/** The record that would satisfy BIMI, built from what the domain publishes today. */
function enforcingRecord(result: CheckResult, fallbackDomain: string): string {
  const text = typeof result.evidence.record === 'string' ? result.evidence.record : null;
  const at = recordDomainOf(result) ?? fallbackDomain;
  if (text === null) return txtLine(fallbackDomain, `v=DMARC1; p=quarantine; rua=${defaultRuaFor(fallbackDomain)}`);
  const record = parseDmarc(text);
  const v = record.values;
  const changes: RecordChanges = {};
  if (!v.p || v.p === 'none') changes.p = 'quarantine';
  if (v.sp === 'none') changes.sp = null;
  if (v.pct !== undefined && v.pct < 100) changes.pct = null;
  if (v.t === 'y') changes.t = null;
  if (record.rua.length === 0) changes.rua = defaultRuaFor(at);
  return txtLine(at, correctedRecordText(record, changes));
}

export function assessDmarcForBimi(own: Side, org: Side | null): DmarcRequirement {
  const reasons: string[] = [];
  const fixes = new Set<string>();
  const ownPolicy = effectiveDmarcPolicy(own.result);
  const evidence: Record<string, unknown> = {
    dmarcStatus: own.result.status,
    location: own.result.evidence.location ?? null,
    policy: ownPolicy?.policy ?? null,
    pct: ownPolicy?.pct ?? null,
    testing: ownPolicy?.testing ?? null,
    inherited: ownPolicy?.inherited ?? null,
  };
  if (!ownPolicy) {
    return {
      verdict: 'unknown', reasons, fixes: [], evidence,
      unknownBecause: `the DMARC check for ${own.domain} could not be completed (${own.result.summary})`,
    };
  }
  const where = ownPolicy.inherited && typeof own.result.evidence.location === 'string'
    ? `, inherited from ${own.result.evidence.location}` : '';
  if (ownPolicy.policy === null) {
    reasons.push(`no DMARC policy applies to ${own.domain}`);
  } else if (ownPolicy.policy === 'none') {
    reasons.push(`the DMARC policy for ${own.domain} is ${ownPolicy.inherited ? 'sp' : 'p'}=none (monitoring only)${where}`);
  } else {
    if (ownPolicy.pct !== null && ownPolicy.pct < 100) {
      reasons.push(`the DMARC policy for ${own.domain} applies to only ${ownPolicy.pct}% of the mail (pct=${ownPolicy.pct})${where}; BIMI requires pct=100 (or no pct)`);
    }
    if (ownPolicy.testing && ownPolicy.policy === 'quarantine') {
      reasons.push(`the DMARC policy for ${own.domain} is p=quarantine in testing mode (t=y)${where}, which receivers apply as none`);
    }
  }
  if (reasons.length) fixes.add(enforcingRecord(own.result, own.domain));

  if (org) {
    const orgPolicy = effectiveDmarcPolicy(org.result);
    const orgSp = org.result.evidence.subdomainPolicy;
    evidence.organizationalDomain = {
      domain: org.domain,
      status: org.result.status,
      location: org.result.evidence.location ?? null,
      policy: orgPolicy?.policy ?? null,
      subdomainPolicy: typeof orgSp === 'string' ? orgSp : null,
    };
    if (!orgPolicy) {
      if (!reasons.length) {
        return {
          verdict: 'unknown', reasons, fixes: [], evidence,
          unknownBecause: `the DMARC check for the organizational domain ${org.domain} could not be completed (${org.result.summary})`,
        };
      }
    } else {
      const orgReasons: string[] = [];
      if (org.domain !== own.domain) {
        if (orgPolicy.policy === null) orgReasons.push(`the organizational domain ${org.domain} has no DMARC policy`);
        else if (orgPolicy.policy === 'none') orgReasons.push(`the organizational domain ${org.domain} has a DMARC policy of none`);
      }
      if (orgSp === 'none' && !(org.domain !== own.domain && ownPolicy.inherited && ownPolicy.policy === 'none')) {
        orgReasons.push(`the DMARC record of ${org.domain} sets sp=none, leaving its subdomains unprotected; BIMI requires the organizational domain's sp (when set) to be quarantine or reject`);
      }
      if (orgReasons.length) {
        reasons.push(...orgReasons);
        fixes.add(enforcingRecord(org.result, org.domain));
      }
    }
  }
  evidence.reasons = reasons;
  return { verdict: reasons.length ? 'not_enforced' : 'enforced', reasons, fixes: [...fixes], evidence };
}

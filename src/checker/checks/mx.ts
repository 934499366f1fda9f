/**
 * The MX check (`mx`): where the domain's mail goes, and whether senders can get it there.
 *
 * The facts (MX records, host addresses) come from `resolveMxHosts(ctx)`, shared with the
 * MTA-STS, STARTTLS and DANE checks; reverse DNS from `resolveMxReverseDns(ctx)`.
 */
import { lookupFailed, result, untested, describeFailure, type CheckContext } from '../check.ts';
import type { DnsResponse } from '../dns/types.ts';
import { isLookupFailure } from '../dns/types.ts';
import type { CheckResult, Finding } from '../types.ts';
import {
  mxMissing, nullMx, nullMxButSending, nullMxWithOtherMx, nxdomain, type SpfSeen,
} from './mx/domain-findings.ts';
import { resolveMxHosts, MAX_MX_HOSTS, type MxFacts, type MxHostFacts } from './mx/facts.ts';
import { assessHosts, failureLine } from './mx/host-findings.ts';
import { lookupFor } from './mx/lookup.ts';
import { resolveMxReverseDns, type HostReverseDns } from './mx/reverse-dns.ts';
import { spfAuthorisesSenders } from './spf/index.ts';
import { spfRecordsIn } from './mx/spf-senders.ts';

export {
  resolveMxHosts, isRootExchange, MAX_MX_HOSTS,
  type MxFacts, type MxHostFacts, type MxOutcome, type MxRecord, type AddressLookup, type HostStatus,
} from './mx/facts.ts';
export {
  resolveMxReverseDns, type HostReverseDns, type AddressReverseDns, type ReverseVerdict,
} from './mx/reverse-dns.ts';

function ignore(): void {}

export async function checkMx(ctx: CheckContext): Promise<CheckResult> {
  const lookup = lookupFor(ctx);
  // independent of the MX answer: the SPF TXT (needed for null MX and no-MX advice; the SPF
  // check asks the same question, so a shared cache answers once) and the reverse-DNS pipelines,
  // which start per host as soon as that host's addresses are known
  const txt = lookup(ctx.domain, 'TXT');
  const reverse = resolveMxReverseDns(ctx);
  txt.catch(ignore);
  reverse.catch(ignore);

  const facts = await resolveMxHosts(ctx);
  const evidence = factsEvidence(facts);

  if (facts.isNxdomain) {
    return result('mx', `${facts.domain} does not exist (NXDOMAIN)`, [nxdomain(facts.domain)], evidence);
  }
  if (isLookupFailure(facts.mxResponse.outcome)) {
    return untested(
      'mx',
      `The MX lookup for ${facts.domain} failed (${describeFailure(facts.mxResponse)})`,
      [lookupFailed(facts.mxResponse)],
      { ...evidence, lookupFailures: [failureLine(facts.mxResponse)] },
    );
  }

  switch (facts.outcome) {
    case 'implicit':
    case 'none':
    case 'lookup_failed': {
      const spf = spfSeen(await txt);
      const failures = facts.hosts.flatMap(addressFailures);
      const summary =
        facts.outcome === 'implicit'
          ? `No MX record; mail falls back to ${facts.domain}'s own address`
          : facts.outcome === 'none'
            ? 'No MX record and no address: this domain cannot receive mail'
            : 'No MX record; whether the domain has an address could not be checked';
      return finish(summary, [mxMissing(facts, spf), ...failures.map(lookupFailed)], evidence, failures, spf);
    }
    case 'null_mx': {
      const txtResponse = await txt;
      const spf = spfSeen(txtResponse);
      const findings = [nullMx(facts)];
      const failures: DnsResponse[] = [];
      if (spf.authorisesSenders) findings.push(nullMxButSending(facts.domain, spf.records.filter((r) => spfAuthorisesSenders(r))));
      if (spf.authorisesSenders === null) failures.push(txtResponse);
      return finish('Null MX: this domain accepts no mail', [...findings, ...failures.map(lookupFailed)], evidence, failures, spf);
    }
    case 'hosts':
      return hostsResult(facts, await reverse, evidence);
  }
}

function hostsResult(facts: MxFacts, reverse: HostReverseDns[], evidence: Record<string, unknown>): CheckResult {
  const { findings, failures } = assessHosts(facts, reverse);
  if (facts.hasNullMx) findings.unshift(nullMxWithOtherMx(facts));
  const reverseEvidence = new Map(reverse.map((r) => [r.host, r]));
  const withReverse = {
    ...evidence,
    hosts: facts.hosts.map((h) => ({ ...hostEvidence(h), ...reverseDnsEvidence(reverseEvidence.get(h.name)) })),
  };
  const unique = dedupe(failures);
  return finish(hostsSummary(facts), [...findings, ...unique.map(lookupFailed)], withReverse, unique);
}

function finish(
  summary: string,
  findings: Finding[],
  evidence: Record<string, unknown>,
  failures: DnsResponse[],
  spf?: SpfSeen,
): CheckResult {
  const extra: Record<string, unknown> = {};
  if (spf) extra.spf = spf.records;
  if (failures.length > 0) extra.lookupFailures = dedupe(failures).map(failureLine);
  return result('mx', summary, findings, { ...evidence, ...extra });
}

function spfSeen(txt: DnsResponse<'TXT'>): SpfSeen {
  if (isLookupFailure(txt.outcome)) return { records: [], authorisesSenders: null };
  const records = spfRecordsIn(txt.answers.map((a) => a.data));
  return { records, authorisesSenders: records.some((r) => spfAuthorisesSenders(r)) };
}

function addressFailures(host: MxHostFacts): DnsResponse[] {
  return [host.a, host.aaaa].flatMap((l) => (l && isLookupFailure(l.outcome) ? [l.response] : []));
}

function dedupe(failures: DnsResponse[]): DnsResponse[] {
  const seen = new Map<string, DnsResponse>();
  for (const f of failures) seen.set(`${f.name} ${f.type}`, f);
  return [...seen.values()];
}

function hostsSummary(facts: MxFacts): string {
  const n = facts.hosts.length + facts.skippedHosts.length;
  const head = `${n} MX host${n === 1 ? '' : 's'}${facts.skippedHosts.length > 0 ? ` (first ${MAX_MX_HOSTS} examined)` : ''}`;
  if (facts.hasNullMx) return `Null MX published beside ${head}`;
  const count = (status: MxHostFacts['status']): number => facts.hosts.filter((h) => h.status === status).length;
  const resolved = count('resolved');
  if (resolved === facts.hosts.length) return `${head}, ${n === 1 ? 'resolvable' : 'all resolvable'}`;
  const parts = [
    [resolved, 'resolvable'],
    [count('unresolvable'), 'without an address'],
    [count('ip_literal'), 'given as an IP address'],
    [count('lookup_failed'), 'not checked (lookup failed)'],
  ] as const;
  return `${head}: ${parts.filter(([k]) => k > 0).map(([k, what]) => `${k} ${what}`).join(', ')}`;
}

function factsEvidence(facts: MxFacts): Record<string, unknown> {
  const evidence: Record<string, unknown> = {
    outcome: facts.outcome,
    mx: facts.records.map((r) => ({ preference: r.preference, exchange: r.exchange })),
    hosts: facts.hosts.map(hostEvidence),
  };
  if (facts.mxResponse.cnames.length > 0) evidence.mxCnames = facts.mxResponse.cnames;
  if (facts.skippedHosts.length > 0) evidence.skippedHosts = facts.skippedHosts;
  return evidence;
}

function hostEvidence(host: MxHostFacts): Record<string, unknown> {
  const out: Record<string, unknown> = { name: host.name, preference: host.preference, status: host.status };
  if (host.ipLiteral) out.ipLiteral = host.ipLiteral;
  if (host.a) out.a = { outcome: host.a.outcome, addresses: host.a.addresses };
  if (host.aaaa) out.aaaa = { outcome: host.aaaa.outcome, addresses: host.aaaa.addresses };
  if (host.isCname) {
    out.cname = { chain: [...new Set([...(host.a?.cnames ?? []), ...(host.aaaa?.cnames ?? [])])], target: host.canonicalName };
  }
  return out;
}

function reverseDnsEvidence(reverse: HostReverseDns | undefined): Record<string, unknown> {
  if (!reverse) return {};
  const out: Record<string, unknown> = {
    reverseDns: reverse.addresses.map((a) => ({
      address: a.address,
      reverseName: a.reverseName,
      ptr: { outcome: a.ptr.outcome, names: a.ptrNames },
      forward: a.forward.map((f) => ({ name: f.name, outcome: f.outcome, addresses: f.addresses, confirms: f.confirms })),
      verdict: a.verdict,
    })),
  };
  if (reverse.skippedAddresses.length > 0) out.reverseDnsSkipped = reverse.skippedAddresses;
  return out;
}

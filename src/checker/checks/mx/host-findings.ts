/** Findings about the MX hosts themselves: what each exchange is and where it leads. */
import { describeFailure } from '../../check.ts';
import type { DnsResponse } from '../../dns/types.ts';
import { isLookupFailure } from '../../dns/types.ts';
import { finding } from '../../findings.ts';
import type { Finding } from '../../types.ts';
import { familyOf } from './addresses.ts';
import type { MxFacts, MxHostFacts } from './facts.ts';
import type { AddressReverseDns, HostReverseDns } from './reverse-dns.ts';

export interface HostAssessment {
  findings: Finding[];
  /** lookups that failed and kept an assertion from being made */
  failures: DnsResponse[];
}

export function assessHosts(facts: MxFacts, reverse: HostReverseDns[]): HostAssessment {
  const findings: Finding[] = [];
  const failures: DnsResponse[] = [];
  const domain = facts.domain;
  const literals = facts.hosts.filter((h) => h.ipLiteral).length;
  let literalIndex = 0;
  for (const host of facts.hosts) {
    if (host.ipLiteral) {
      literalIndex += 1;
      // a name to suggest for the server; distinct when several MX records are IP literals
      const suggested = literals === 1 ? `mail.${domain}` : `mail${literalIndex}.${domain}`;
      findings.push(targetIsIp(domain, host, host.ipLiteral, suggested));
      continue;
    }
    if (host.isCname) findings.push(targetIsCname(domain, host));
    if (host.status === 'unresolvable') findings.push(targetUnresolvable(facts, host));
    // a host with an address may still have one family's lookup failed: it matters for no_ipv6
    for (const lookup of [host.a, host.aaaa]) {
      if (lookup && isLookupFailure(lookup.outcome)) failures.push(lookup.response);
    }
  }
  for (const hostReverse of reverse) {
    const unconfirmed = hostReverse.addresses.filter((a) => a.verdict === 'no_ptr' || a.verdict === 'not_confirmed');
    const host = facts.hosts.find((h) => h.name === hostReverse.host);
    // the PTR should name the host's canonical name when the exchange is an alias
    const ptrTarget = host?.canonicalName ?? hostReverse.host;
    if (unconfirmed.length > 0) findings.push(noFcrdns(hostReverse.host, ptrTarget, unconfirmed));
    for (const address of hostReverse.addresses) {
      if (address.verdict !== 'lookup_failed') continue;
      if (isLookupFailure(address.ptr.outcome)) failures.push(address.ptr);
      for (const f of address.forward) if (isLookupFailure(f.outcome)) failures.push(f.response);
    }
  }
  const noIpv6 = noIpv6Finding(facts);
  if (noIpv6) findings.push(noIpv6);
  return { findings, failures };
}

function mxLine(domain: string, preference: number, exchange: string): string {
  return `${domain}. MX ${preference} ${exchange}.`;
}

// RFC 5321 §5.1: the MX exchange is a domain name, looked up for A/AAAA; an address is not allowed.
function targetIsIp(domain: string, host: MxHostFacts, address: string, name: string): Finding {
  const rr = familyOf(address) === 6 ? 'AAAA' : 'A';
  return finding(
    'mx.target_is_ip',
    `The MX record \`${mxLine(domain, host.preference, host.name)}\` names the IP address ${address} instead of a host name. ` +
      `An MX must name a host (RFC 5321 §5.1); senders look the value up as a name, find nothing, and cannot deliver to it.`,
    `Give the server a name and point the MX at it: \`${name}. ${rr} ${address}\` then replace the record with \`${mxLine(domain, host.preference, name)}\`.`,
  );
}

// RFC 2181 §10.3: the exchange of an MX must not be an alias.
function targetIsCname(domain: string, host: MxHostFacts): Finding {
  const chain = [...new Set([...(host.a?.cnames ?? []), ...(host.aaaa?.cnames ?? [])])];
  const target = host.canonicalName;
  const seen = target ? `${chain.join(' → ')} → ${target}` : chain.join(' → ');
  const fix = target
    ? `Point the MX at the canonical name: \`${mxLine(domain, host.preference, target)}\` (replacing \`${mxLine(domain, host.preference, host.name)}\`).`
    : `Point the MX at the name ${host.name} is an alias for (see \`dig ${host.name} CNAME\`), replacing \`${mxLine(domain, host.preference, host.name)}\`.`;
  return finding(
    'mx.target_is_cname',
    `MX host ${host.name} is an alias (CNAME: ${seen}). RFC 2181 §10.3 forbids an MX that points at an alias; some senders refuse it or mishandle it.`,
    fix,
  );
}

function targetUnresolvable(facts: MxFacts, host: MxHostFacts): Finding {
  const domain = facts.domain;
  const others = facts.hosts.filter((h) => h !== host && h.status === 'resolved');
  const consequence =
    others.length === 0
      ? `No other MX host has an address, so mail to ${domain} cannot be delivered.`
      : `Senders that pick it waste time before falling back to ${others.map((h) => h.name).join(', ')}.`;
  const record = mxLine(domain, host.preference, host.name);
  const fix =
    others.length === 0
      ? `Publish the mail server's address: \`${host.name}. A <IPv4 address of the mail server>\` (and AAAA for IPv6), or point the MX at a host that has one.`
      : `Remove \`${record}\`, or publish its address: \`${host.name}. A <IPv4 address of the mail server>\`.`;
  return finding(
    'mx.target_unresolvable',
    `MX host ${host.name} (preference ${host.preference}) has no address: A ${outcomeText(host.a)}, AAAA ${outcomeText(host.aaaa)}. ${consequence}`,
    fix,
  );
}

function outcomeText(lookup: MxHostFacts['a']): string {
  if (!lookup) return 'not looked up';
  return lookup.outcome === 'nodata' ? 'no record (NODATA)' : lookup.outcome.toUpperCase();
}

// RFC 8601 §3 (iprev): the PTR name of the address must resolve back to the same address.
function noFcrdns(host: string, ptrTarget: string, unconfirmed: AddressReverseDns[]): Finding {
  const problems = unconfirmed.map((a) => {
    if (a.verdict === 'no_ptr') return `${a.address} has no PTR record (${a.reverseName}: ${a.ptr.outcome.toUpperCase()})`;
    const names = a.forward
      .map((f) => `${f.name} → ${f.addresses.length > 0 ? f.addresses.join(', ') : f.outcome.toUpperCase()}`)
      .join('; ');
    return `${a.address} has PTR ${a.ptrNames.join(', ')}, which does not resolve back to it (${names})`;
  });
  const records = unconfirmed.map((a) => `\`${a.reverseName}. PTR ${ptrTarget}.\``).join(', ');
  return finding(
    'mx.no_fcrdns',
    `Reverse DNS of MX host ${host} is not forward-confirmed: ${problems.join('; ')}. ` +
      `Many receivers distrust or reject mail from servers whose reverse DNS does not match.`,
    `Ask whoever controls these addresses (usually the hosting provider) to set the reverse DNS: ${records}; ${ptrTarget} already resolves to ${
      unconfirmed.length === 1 ? 'that address' : 'those addresses'
    }.`,
  );
}

function noIpv6Finding(facts: MxFacts): Finding | null {
  const named = facts.hosts.filter((h) => !h.ipLiteral);
  if (!named.some((h) => h.status === 'resolved')) return null;
  if (named.some((h) => (h.aaaa?.addresses.length ?? 0) > 0)) return null;
  // an AAAA lookup that failed might have had an answer: assert nothing then
  if (named.some((h) => h.aaaa && isLookupFailure(h.aaaa.outcome))) return null;
  const names = named.map((h) => h.name);
  const first = names[0] ?? facts.domain;
  return finding(
    'mx.no_ipv6',
    `None of ${facts.domain}'s MX hosts (${names.join(', ')}) has an IPv6 (AAAA) address, so IPv6-only senders cannot deliver to it.`,
    `Give at least one MX host an IPv6 address, e.g. \`${first}. AAAA <IPv6 address of ${first}>\` (if a provider runs your mail servers, ask it).`,
  );
}

/** "example.com MX: timed out", for evidence. */
export function failureLine(response: DnsResponse): string {
  return `${response.name} ${response.type}: ${describeFailure(response)}`;
}

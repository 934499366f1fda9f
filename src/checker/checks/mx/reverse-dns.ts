/**
 * Forward-confirmed reverse DNS (FCrDNS, the "iprev" test of RFC 8601 §3) for each
 * MX address: PTR of the reverse name, then an A/AAAA lookup of each PTR name
 * that must lead back to the same address.
 *
 * Each host's PTR lookups start as soon as that host's addresses are known, and
 * each forward confirmation as soon as its PTR answer arrives.
 */
import type { CheckContext } from '../../check.ts';
import type { DnsOutcome, DnsResponse } from '../../dns/types.ts';
import { isLookupFailure } from '../../dns/types.ts';
import { familyOf, normaliseAddress, reverseName } from './addresses.ts';
import { mxHostsAsResolved, type MxHostFacts } from './facts.ts';
import { lookupFor, type Lookup } from './lookup.ts';

/** Addresses examined per host: a host with 200 A records costs at most this many PTR lookups. */
export const MAX_ADDRESSES_PER_HOST = 8;
/** PTR names forward-checked per address (RFC 8601 §3 lets a verifier bound this). */
export const MAX_PTR_NAMES = 4;

export interface ForwardCheck {
  /** a PTR name */
  name: string;
  outcome: DnsOutcome;
  addresses: string[];
  /** the name resolves back to the address */
  confirms: boolean;
  response: DnsResponse<'A' | 'AAAA'>;
}

/**
 * - `confirmed`: some PTR name resolves back to the address
 * - `no_ptr`: the reverse name has no PTR (NXDOMAIN/NODATA)
 * - `not_confirmed`: PTR names exist but none resolves back to the address
 * - `lookup_failed`: a PTR or forward lookup failed and nothing confirmed: no verdict
 */
export type ReverseVerdict = 'confirmed' | 'no_ptr' | 'not_confirmed' | 'lookup_failed';

export interface AddressReverseDns {
  address: string;
  reverseName: string;
  ptr: DnsResponse<'PTR'>;
  ptrNames: string[];
  forward: ForwardCheck[];
  verdict: ReverseVerdict;
}

export interface HostReverseDns {
  host: string;
  addresses: AddressReverseDns[];
  /** addresses beyond MAX_ADDRESSES_PER_HOST, not examined */
  skippedAddresses: string[];
}

const memo = new WeakMap<CheckContext, Promise<HostReverseDns[]>>();

/** FCrDNS of every examined MX host's addresses (none for null, implicit or failed MX), once per context. */
export function resolveMxReverseDns(ctx: CheckContext): Promise<HostReverseDns[]> {
  let pending = memo.get(ctx);
  if (!pending) {
    pending = computeReverseDns(ctx);
    memo.set(ctx, pending);
  }
  return pending;
}

async function computeReverseDns(ctx: CheckContext): Promise<HostReverseDns[]> {
  const lookup = lookupFor(ctx);
  const { outcome, hosts } = await mxHostsAsResolved(ctx);
  if (outcome !== 'hosts') return [];
  return Promise.all(hosts.map(async (host) => hostReverseDns(lookup, await host)));
}

async function hostReverseDns(lookup: Lookup, host: MxHostFacts): Promise<HostReverseDns> {
  const examined = host.addresses.slice(0, MAX_ADDRESSES_PER_HOST);
  return {
    host: host.name,
    addresses: await Promise.all(examined.map((address) => addressReverseDns(lookup, address))),
    skippedAddresses: host.addresses.slice(MAX_ADDRESSES_PER_HOST),
  };
}

async function addressReverseDns(lookup: Lookup, address: string): Promise<AddressReverseDns> {
  const name = reverseName(address);
  const ptr = await lookup(name, 'PTR');
  const ptrNames = ptr.answers.map((r) => r.data);
  const base = { address, reverseName: name, ptr, ptrNames };
  if (isLookupFailure(ptr.outcome)) return { ...base, forward: [], verdict: 'lookup_failed' };
  if (ptrNames.length === 0) return { ...base, forward: [], verdict: 'no_ptr' };

  const type = familyOf(address) === 6 ? 'AAAA' : 'A';
  const wanted = normaliseAddress(address);
  const forward = await Promise.all(
    ptrNames.slice(0, MAX_PTR_NAMES).map(async (ptrName): Promise<ForwardCheck> => {
      const response = await lookup(ptrName, type);
      const addresses = response.answers.map((r) => r.data);
      return {
        name: ptrName,
        outcome: response.outcome,
        addresses,
        confirms: addresses.some((a) => normaliseAddress(a) === wanted),
        response,
      };
    }),
  );
  let verdict: ReverseVerdict = 'not_confirmed';
  if (forward.some((f) => f.confirms)) verdict = 'confirmed';
  else if (forward.some((f) => isLookupFailure(f.outcome))) verdict = 'lookup_failed';
  return { ...base, forward, verdict };
}

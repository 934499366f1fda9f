/**
 * DKIM selector discovery. Selectors cannot be enumerated (RFC 6376 §3.6.2.1: the key lives at
 * `<selector>._domainkey.<domain>`, and nothing lists the selectors), so we try, all at once:
 * the user's selectors first, then those implied by the domain's mail providers (MX hosts and
 * SPF includes, see providers.ts), then a compact common list. `_domainkey.<domain>` is queried
 * in the same round for the RFC 8020 NXDOMAIN hint.
 *
 * Latency: user + common selectors and `_domainkey` start at once, beside the domain's MX and TXT
 * lookups (which the mx and spf checks ask anyway; the resolver de-duplicates them). Only the
 * provider selectors not already in flight wait for MX/TXT.
 */
import type { CheckContext } from '../../check.ts';
import type { DnsResponse } from '../../dns/types.ts';
import { matchProviders, spfIncludeDomains, type ProviderMatch } from './providers.ts';

export type SelectorSource = 'user' | 'provider' | 'common';

export interface PlannedSelector {
  selector: string;
  source: SelectorSource;
}

/** Tried after the user's and the providers' selectors. Kept short: every entry is a query. */
export const COMMON_SELECTORS: readonly string[] = [
  'default', 'dkim', 'mail', 'selector', 's1', 's2', 'k1', 'k2',
  'google', 'selector1', 'selector2', 'key1', 'dkim1', 'smtp', 'mx', 'email',
];

/** RFC 6376 §3.1: a selector is a sub-domain: dot-separated labels (underscores seen in practice). */
const SELECTOR_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * A user-given selector in canonical form, or null when it cannot be one. Accepts the full
 * owner name too (`s1._domainkey.example.com` → `s1`).
 */
export function normalizeSelector(input: string): string | null {
  let s = input.trim().toLowerCase().replace(/\.$/, '');
  const at = s.indexOf('._domainkey');
  if (at >= 0) s = s.slice(0, at);
  if (s === '' || s.length > 200) return null;
  return s.split('.').every((label) => SELECTOR_LABEL.test(label)) ? s : null;
}

export interface SelectorPlan {
  planned: PlannedSelector[];
  /** user input that is not a valid selector (not queried) */
  rejected: string[];
}

/** User selectors first, then provider selectors, then the common list; each selector once. */
export function planSelectors(userSelectors: readonly string[], providers: readonly ProviderMatch[]): SelectorPlan {
  const planned: PlannedSelector[] = [];
  const rejected: string[] = [];
  const seen = new Set<string>();
  const add = (selector: string, source: SelectorSource): void => {
    if (seen.has(selector)) return;
    seen.add(selector);
    planned.push({ selector, source });
  };
  for (const raw of userSelectors) {
    const s = normalizeSelector(raw);
    if (s) add(s, 'user');
    else rejected.push(raw);
  }
  for (const p of providers) for (const s of p.selectors) add(s, 'provider');
  for (const s of COMMON_SELECTORS) add(s, 'common');
  return { planned, rejected };
}

export interface SelectorLookup extends PlannedSelector {
  /** `<selector>._domainkey.<domain>` */
  name: string;
  response: DnsResponse<'TXT'>;
}

export interface Discovery {
  /** every selector tried, in plan order (user, provider, common) */
  lookups: SelectorLookup[];
  providers: ProviderMatch[];
  rejectedSelectors: string[];
  /** `_domainkey.<domain>` TXT: only its rcode matters (RFC 8020) */
  domainkey: DnsResponse<'TXT'>;
  mx: DnsResponse<'MX'>;
  txt: DnsResponse<'TXT'>;
  /** the domain's SPF record(s), joined */
  spfRecords: string[];
}

export function keyName(selector: string, domain: string): string {
  return `${selector}._domainkey.${domain}`;
}

export async function discoverSelectors(ctx: CheckContext): Promise<Discovery> {
  const { domain, resolver, signal } = ctx;
  const opts = { signal };
  const inFlight = new Map<string, Promise<DnsResponse<'TXT'>>>();
  const lookup = (selector: string): Promise<DnsResponse<'TXT'>> => {
    let p = inFlight.get(selector);
    if (!p) {
      p = resolver.query(keyName(selector, domain), 'TXT', opts);
      // only an abort rejects; it is rethrown where the promise is awaited
      p.catch(() => {});
      inFlight.set(selector, p);
    }
    return p;
  };

  const mxP = resolver.query(domain, 'MX', opts);
  const txtP = resolver.query(domain, 'TXT', opts);
  const domainkeyP = resolver.query(`_domainkey.${domain}`, 'TXT', opts);
  domainkeyP.catch(() => {});
  // what needs no provider knowledge starts now
  for (const { selector } of planSelectors(ctx.options.dkimSelectors, []).planned) void lookup(selector);

  const [mx, txt] = await Promise.all([mxP, txtP]);
  const mxHosts = mx.outcome === 'answer' ? mx.answers.map((a) => a.data.exchange) : [];
  const txtRecords = txt.outcome === 'answer' ? txt.answers.map((a) => a.data.join('')) : [];
  const spfRecords = txtRecords.filter((t) => /^v=spf1(\s|$)/i.test(t.trim()));
  const providers = matchProviders(mxHosts, spfIncludeDomains(spfRecords));
  const { planned, rejected } = planSelectors(ctx.options.dkimSelectors, providers);

  const [responses, domainkey] = await Promise.all([
    Promise.all(planned.map((p) => lookup(p.selector))),
    domainkeyP,
  ]);
  const lookups = planned.map((p, i): SelectorLookup => ({
    ...p,
    name: keyName(p.selector, domain),
    response: responses[i]!,
  }));
  return { lookups, providers, rejectedSelectors: rejected, domainkey, mx, txt, spfRecords };
}

/**
 * Turning what a person typed into the domain we check (CONTRACTS §1): any
 * case, optional trailing dot, Unicode (to A-labels per UTS #46) or A-labels;
 * an e-mail address means its domain; URLs and IP addresses are refused with a hint.
 */
import net from 'node:net';
import { toASCII } from 'tr46';

export type DomainInput =
  | { ok: true; domain: string; input: string }
  | { ok: false; input: string; error: string };

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

export function normalizeDomain(raw: string): DomainInput {
  const input = raw;
  let s = raw.trim();
  if (!s) return { ok: false, input, error: 'no domain given' };
  if (URL_LIKE.test(s) || /^[^@\s]+\/[^\s]*$/.test(s)) {
    const host = hostOfUrl(s);
    return {
      ok: false,
      input,
      error: host ? `"${s}" is a URL; give just the domain, e.g. ${host}` : `"${s}" is a URL; give just the domain, e.g. example.com`,
    };
  }
  if (s.includes('@')) {
    // an e-mail address (or mailto:) means its domain
    s = s.replace(/^mailto:/i, '');
    s = s.slice(s.lastIndexOf('@') + 1);
    if (!s) return { ok: false, input, error: `"${raw.trim()}" has nothing after the @` };
  }
  if (/\s/.test(s)) return { ok: false, input, error: `"${s}" contains spaces; give one domain such as example.com` };
  if (s.endsWith('.') && !s.endsWith('..')) s = s.slice(0, -1);
  const bare = s.replace(/^\[|\]$/g, '');
  if (net.isIP(bare)) return { ok: false, input, error: `"${s}" is an IP address; give a domain name such as example.com` };
  // UTS #46 processing (non-transitional), with DNS length limits (RFC 1035 §2.3.4)
  const ascii = toASCII(s, {
    checkBidi: true,
    checkHyphens: false,
    checkJoiners: true,
    useSTD3ASCIIRules: true,
    transitionalProcessing: false,
    verifyDNSLength: true,
  });
  if (ascii === null) return { ok: false, input, error: invalidReason(s) };
  const labels = ascii.split('.');
  const bad = labels.find((l) => l.startsWith('-') || l.endsWith('-'));
  if (bad !== undefined) return { ok: false, input, error: `"${s}" is not a valid domain: the label "${bad}" starts or ends with a hyphen` };
  if (labels.length < 2) return { ok: false, input, error: `"${s}" is not a full domain name; give one such as example.com` };
  if (/^\d+$/.test(labels[labels.length - 1]!)) return { ok: false, input, error: `"${s}" is not a valid domain: the top-level label is numeric` };
  return { ok: true, domain: ascii.toLowerCase(), input };
}

function hostOfUrl(s: string): string | undefined {
  try {
    return new URL(URL_LIKE.test(s) ? s : `https://${s}`).hostname || undefined;
  } catch {
    return undefined;
  }
}

function invalidReason(s: string): string {
  const labels = s.split('.');
  if (labels.some((l) => l.length === 0)) return `"${s}" is not a valid domain: it has an empty label (two dots in a row?)`;
  const long = labels.find((l) => Buffer.byteLength(l) > 63);
  if (long) return `"${s}" is not a valid domain: the label "${long.slice(0, 20)}…" is longer than 63 characters`;
  if (s.length > 253) return `"${s.slice(0, 30)}…" is not a valid domain: longer than 253 characters`;
  return `"${s}" is not a valid domain name (letters, digits and hyphens only, or a valid internationalised name)`;
}

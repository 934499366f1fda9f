/** Domain names and client addresses as SPF handles them. */
import ipaddr from 'ipaddr.js';
import net from 'node:net';

export type ClientIp = ipaddr.IPv4 | ipaddr.IPv6;

/** Parse the client address; null when it is not one. */
export function parseClientIp(ip: string): ClientIp | null {
  const trimmed = ip.trim();
  if (!net.isIP(trimmed) || trimmed.includes('%')) return null;
  // ipaddr.process turns ::ffff:a.b.c.d into a.b.c.d: an IPv4-mapped IPv6 client is an IPv4
  // client (RFC 7208 §5, "<ip>"; OpenSPF suite 5/9/2)
  return ipaddr.process(trimmed);
}

/** The reverse-lookup name (RFC 1035 §3.5, RFC 3596 §2.5). */
export function reverseName(ip: ClientIp): string {
  if (ip.kind() === 'ipv4') return `${(ip as ipaddr.IPv4).octets.slice().reverse().join('.')}.in-addr.arpa`;
  const hex = (ip as ipaddr.IPv6).toByteArray().flatMap((b) => [(b >> 4).toString(16), (b & 15).toString(16)]);
  return `${hex.reverse().join('.')}.ip6.arpa`;
}

/** Does `address` (from an A/AAAA answer) fall within `prefix` bits of the client address? */
export function sameNetwork(client: ClientIp, address: string, prefix: number): boolean {
  let other: ClientIp;
  try {
    other = ipaddr.parse(address);
  } catch {
    return false;
  }
  if (other.kind() !== client.kind()) return false;
  return client.match(other as never, prefix);
}

/**
 * §4.3: the initial <domain> must be a fully qualified, well-formed name; otherwise the result is
 * "none". Rejects domain literals, empty labels, labels over 63 octets, single-label names and
 * anything outside visible ASCII.
 */
export function isValidInitialDomain(domain: string): boolean {
  const name = domain.endsWith('.') ? domain.slice(0, -1) : domain;
  if (!name || name.startsWith('[') || Buffer.byteLength(name) > 253) return false;
  if (!/^[\x21-\x7e]+$/.test(name)) return false;
  const labels = name.split('.');
  return labels.length >= 2 && labels.every((l) => l.length > 0 && l.length <= 63);
}

/**
 * A target name after macro expansion (§7.3): drop a trailing dot, cut whole labels off the left
 * until it fits 253 characters, then return null when no DNS query can be made from it (an empty
 * label or one over 63 octets: treated as non-existent, RFC 7208 §4.8 / §5 para 10 by analogy
 * with §4.3).
 */
export function toQueryName(expanded: string): string | null {
  let name = expanded.endsWith('.') ? expanded.slice(0, -1) : expanded;
  while (name.length > 253) {
    const dot = name.indexOf('.');
    if (dot < 0) return null;
    name = name.slice(dot + 1);
  }
  if (!name) return null;
  const labels = name.split('.');
  if (labels.some((l) => l.length === 0 || Buffer.byteLength(l) > 63)) return null;
  return name.toLowerCase();
}

/** Split a MAIL FROM (or, when empty, the HELO name) into the SPF identity (§4.3, §2.4). */
export function spfIdentity(mailFrom: string, helo: string): { sender: string; domain: string; localPart: string } {
  if (!mailFrom) {
    // the null reverse-path: check the HELO identity as postmaster@helo (§2.4)
    return { sender: `postmaster@${helo}`, domain: helo, localPart: 'postmaster' };
  }
  const at = mailFrom.lastIndexOf('@');
  if (at < 0) return { sender: `postmaster@${mailFrom}`, domain: mailFrom, localPart: 'postmaster' };
  const local = mailFrom.slice(0, at);
  const domain = mailFrom.slice(at + 1);
  // §4.3: "If the <sender> has no local-part, substitute the string 'postmaster'"
  return { sender: local ? mailFrom : `postmaster@${domain}`, domain, localPart: local || 'postmaster' };
}

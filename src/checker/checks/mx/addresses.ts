/** IP address helpers for the MX check: literal detection, comparison, reverse names. */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * The IP address an MX exchange spells, or null when it is a host name.
 * A resolver may hand back `192.0.2.1` as a plain name, or a zone may carry an
 * address-literal form `[192.0.2.1]`; both are IP literals, which RFC 5321 §5.1
 * and RFC 7505 §3 do not allow as an MX exchange.
 */
export function ipLiteralOf(exchange: string): string | null {
  const bare = exchange.startsWith('[') && exchange.endsWith(']') ? exchange.slice(1, -1) : exchange;
  const unprefixed = bare.toLowerCase().startsWith('ipv6:') ? bare.slice(5) : bare;
  return isIP(unprefixed) ? unprefixed : null;
}

/** Canonical text of an address (RFC 5952 for IPv6), so `2001:DB8:0::1` equals `2001:db8::1`. */
export function normaliseAddress(address: string): string {
  try {
    return ipaddr.parse(address).toString();
  } catch {
    return address.toLowerCase();
  }
}

export function familyOf(address: string): 4 | 6 {
  return isIP(address) === 6 ? 6 : 4;
}

/**
 * The reverse-mapping name of an address: `d.c.b.a.in-addr.arpa` (RFC 1035 §3.5)
 * or 32 reversed nibbles under `ip6.arpa` (RFC 3596 §2.5).
 */
export function reverseName(address: string): string {
  const bytes = ipaddr.parse(address).toByteArray();
  if (bytes.length === 4) return `${bytes.slice().reverse().join('.')}.in-addr.arpa`;
  const nibbles: string[] = [];
  for (const byte of bytes) nibbles.push((byte >> 4).toString(16), (byte & 0xf).toString(16));
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}

/**
 * Which IP addresses the checker may open HTTPS/SMTP connections to.
 *
 * The checker connects wherever a domain's DNS points (MTA-STS policy host,
 * MX hosts, BIMI/VMC URLs), so a hostile domain could aim it at our own
 * network (SSRF). By default only global unicast addresses pass; the
 * `--allow-private-networks` option (CONTRACTS §1) opens loopback, private,
 * unique-local, link-local and CGNAT space for labs and tests.
 *
 * Decisions:
 * - Documentation ranges (TEST-NET-1/2/3, RFC 5737; 2001:db8::/32, RFC 3849)
 *   are ALLOWED. They are never routed on the Internet, so connecting to them
 *   reaches nobody, and the fixture world can publish realistic addresses and
 *   route them to loopback with `--connect-to` while the default policy stays on.
 * - Unspecified, broadcast, multicast and reserved addresses are refused even
 *   with allowPrivateNetworks: no real server lives there (0.0.0.0 would even
 *   mean "this host" on Linux).
 * - IPv4-mapped IPv6 (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) is judged as the IPv4
 *   address it carries. IPv4-compatible IPv6 (::a.b.c.d, deprecated by
 *   RFC 4291 §2.5.5.1) is judged by its embedded IPv4 address as well.
 *   NAT64 (64:ff9b::/96, RFC 6052), 6to4 and Teredo are refused: they tunnel
 *   to IPv4 space we cannot see.
 */
import net from 'node:net';
import ipaddr from 'ipaddr.js';

export interface AddressPolicyOptions {
  allowPrivateNetworks: boolean;
}

export interface AddressVerdict {
  allowed: boolean;
  /** the address after normalisation (mapped IPv6 → IPv4), or the input when unparseable */
  address: string;
  /** ipaddr.js range name, `documentation`, `ipv4Compatible` or `invalid` */
  range: string;
  /** plain-English reason, for evidence and error messages */
  reason: string;
}

/** Ranges opened by allowPrivateNetworks: where labs and test servers live. */
const PRIVATE_RANGES: Record<string, string> = {
  loopback: 'a loopback address (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3)',
  private: 'a private address (RFC 1918)',
  uniqueLocal: 'a unique-local address (RFC 4193, fc00::/7)',
  linkLocal: 'a link-local address (RFC 3927 169.254/16, RFC 4291 fe80::/10)',
  carrierGradeNat: 'a carrier-grade NAT address (RFC 6598, 100.64/10)',
  deprecatedSiteLocal: 'a site-local address (fec0::/10, deprecated by RFC 3879)',
};

/** Ranges never connected to. */
const NEVER_RANGES: Record<string, string> = {
  unspecified: 'the unspecified address (RFC 1122, RFC 4291 §2.5.2)',
  broadcast: 'the broadcast address (RFC 919)',
  multicast: 'a multicast address (RFC 5771, RFC 4291 §2.7)',
  reserved: 'a reserved address (RFC 6890)',
};

const DOCUMENTATION_RANGES: ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [
  ipaddr.parseCIDR('192.0.2.0/24'), // TEST-NET-1, RFC 5737
  ipaddr.parseCIDR('198.51.100.0/24'), // TEST-NET-2
  ipaddr.parseCIDR('203.0.113.0/24'), // TEST-NET-3
  ipaddr.parseCIDR('2001:db8::/32'), // RFC 3849
];

function isDocumentation(addr: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  return DOCUMENTATION_RANGES.some(([net, bits]) => addr.kind() === net.kind() && addr.match(net, bits));
}

/** ::a.b.c.d with a.b.c.d not 0.0.0.0/0.0.0.1 (those are :: and ::1). */
function ipv4Compatible(addr: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = addr.parts;
  if (p[0] || p[1] || p[2] || p[3] || p[4] || p[5]) return undefined;
  const high = p[6] ?? 0;
  const low = p[7] ?? 0;
  if (high === 0 && low <= 1) return undefined;
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/** Strip brackets and an IPv6 zone (`fe80::1%eth0` is still link-local). */
function bare(ip: string): string {
  return ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
}

/** Verdicts already given, per (allowPrivateNetworks, address as asked); cleared when full. */
const MAX_REMEMBERED_VERDICTS = 4096;
const verdicts = new Map<string, AddressVerdict>();

/**
 * Judge one IP address. Non-IP input is refused (the caller resolves names
 * first, through our resolver, and asks about the address it will use).
 */
export function checkAddress(ip: string, options: AddressPolicyOptions): AddressVerdict {
  // a pure function of (ip, allowPrivateNetworks), asked several times per connection and per probe-cache
  // lookup with the same few addresses: the verdicts are remembered (bounded), a copy is returned
  if (ip.length > 64) return judge(ip, options); // no address is this long: not worth remembering
  const key = `${options.allowPrivateNetworks ? 1 : 0}${ip}`;
  const known = verdicts.get(key);
  if (known) return { ...known };
  const verdict = judge(ip, options);
  if (verdicts.size >= MAX_REMEMBERED_VERDICTS) verdicts.clear();
  verdicts.set(key, verdict);
  return { ...verdict };
}

function judge(ip: string, options: AddressPolicyOptions): AddressVerdict {
  const text = bare(ip);
  // strict dotted-quad / RFC 4291 text only: no inet_aton forms like "127.1"
  if (net.isIP(text) === 0) {
    return { allowed: false, address: ip, range: 'invalid', reason: `${ip} is not an IP address` };
  }
  const parsed = ipaddr.parse(text);
  let addr = ipaddr.process(text); // ::ffff:a.b.c.d → a.b.c.d
  let via = '';
  if (parsed.kind() === 'ipv6' && addr.kind() === 'ipv4') {
    via = ` (IPv4-mapped form of ${addr.toString()})`;
  } else if (addr.kind() === 'ipv6') {
    const embedded = ipv4Compatible(addr as ipaddr.IPv6);
    if (embedded) {
      via = ` (IPv4-compatible form of ${embedded.toString()})`;
      addr = embedded;
    }
  }
  const address = addr.toString();
  if (isDocumentation(addr)) {
    return { allowed: true, address, range: 'documentation', reason: `${ip} is a documentation address${via} (RFC 5737 / RFC 3849), allowed` };
  }
  const range = addr.range();
  if (range === 'unicast') {
    return { allowed: true, address, range, reason: `${ip} is a global unicast address${via}` };
  }
  const privateWhy = PRIVATE_RANGES[range];
  if (privateWhy) {
    return options.allowPrivateNetworks
      ? { allowed: true, address, range, reason: `${ip} is ${privateWhy}${via}; allowed by --allow-private-networks` }
      : { allowed: false, address, range, reason: `${ip} is ${privateWhy}${via}; refused (use --allow-private-networks for labs)` };
  }
  const neverWhy = NEVER_RANGES[range] ?? `in the special-purpose range "${range}" (RFC 6890)`;
  return { allowed: false, address, range, reason: `${ip} is ${neverWhy}${via}; never connected to` };
}

/** The yes/no form of {@link checkAddress}. */
export function isAddressAllowed(ip: string, options: AddressPolicyOptions): boolean {
  return checkAddress(ip, options).allowed;
}

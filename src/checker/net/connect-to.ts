/**
 * `--connect-to HOST:PORT:HOST2:PORT2` (CONTRACTS §1), with curl's semantics:
 * whenever HOST:PORT is wanted, open the TCP connection to HOST2:PORT2 instead,
 * but keep HOST for SNI and certificate checks. An empty HOST or PORT matches
 * any; an empty HOST2 or PORT2 keeps the original. IPv6 addresses go in
 * brackets: `[::1]:443:[::1]:8443`. The first matching rule wins (as curl).
 *
 * One difference from curl, on purpose: we still resolve HOST through our
 * resolver and apply the address policy to what it returns, and a rule's HOST
 * may name either the host or the address it resolved to. So a test world can
 * say "mta-sts.example.test → 10.0.0.1" in DNS and "10.0.0.1:443 → 127.0.0.1:N"
 * here, and the policy sees 10.0.0.1 (before the rewrite), never 127.0.0.1.
 * The rewritten destination itself is the operator's explicit choice and is
 * not subject to the policy.
 */
import net from 'node:net';
import ipaddr from 'ipaddr.js';

export interface ConnectToRule {
  /** host name or address to match, canonical form; undefined matches any */
  host?: string;
  port?: number;
  /** replacement host (name or address); undefined keeps the original */
  toHost?: string;
  toPort?: number;
  /** the option as given, for messages */
  spec: string;
}

export interface Destination {
  /** where the TCP connection goes */
  host: string;
  port: number;
  /** the rule that rewrote it, if any */
  rule?: ConnectToRule;
}

export class ConnectToSyntaxError extends Error {
  override name = 'ConnectToSyntaxError';
}

/** Lower case, no brackets, no trailing dot, IPv6 in canonical (RFC 5952) form. */
export function canonicalHost(host: string): string {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  if (net.isIPv6(h)) {
    // node accepts forms (zone ids) ipaddr.js cannot canonicalise: refuse them as bad syntax
    try {
      return ipaddr.parse(h).toString();
    } catch {
      throw new ConnectToSyntaxError(`"${host}" is not an IPv6 address Posture can use here`);
    }
  }
  return h;
}

/** Read one `host` or `[v6]` field and the ':' after it; returns [field, rest], rest undefined when no ':' followed. */
function takeHost(input: string, spec: string): [string, string | undefined] {
  if (input.startsWith('[')) {
    const end = input.indexOf(']');
    if (end < 0) throw new ConnectToSyntaxError(`--connect-to ${spec}: unclosed "[" in an IPv6 address`);
    const inner = input.slice(1, end);
    if (!net.isIPv6(inner)) throw new ConnectToSyntaxError(`--connect-to ${spec}: "${inner}" is not an IPv6 address`);
    const rest = input.slice(end + 1);
    if (rest === '') return [inner, undefined];
    if (!rest.startsWith(':')) throw new ConnectToSyntaxError(`--connect-to ${spec}: expected ":" after "]"`);
    return [inner, rest.slice(1)];
  }
  const colon = input.indexOf(':');
  if (colon < 0) return [input, undefined];
  return [input.slice(0, colon), input.slice(colon + 1)];
}

function parsePort(text: string, spec: string): number | undefined {
  if (text === '') return undefined;
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new ConnectToSyntaxError(`--connect-to ${spec}: "${text}" is not a port (1-65535)`);
  }
  return Number(text);
}

function checkHostField(host: string, spec: string): void {
  if (host === '') return;
  if (net.isIP(host)) return;
  // a DNS name: letters, digits, hyphens, underscores, dots
  if (!/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/i.test(host)) {
    throw new ConnectToSyntaxError(`--connect-to ${spec}: "${host}" is not a host name or IP address (IPv6 goes in brackets)`);
  }
}

/** Parse one `HOST:PORT:HOST2:PORT2`; throws ConnectToSyntaxError with a one-line message. */
export function parseConnectTo(spec: string): ConnectToRule {
  const shape = `--connect-to ${spec}: expected HOST:PORT:HOST2:PORT2 (any field may be empty)`;
  const [host, afterHost] = takeHost(spec.trim(), spec);
  if (afterHost === undefined) throw new ConnectToSyntaxError(shape);
  const colon1 = afterHost.indexOf(':');
  if (colon1 < 0) throw new ConnectToSyntaxError(shape);
  const port = afterHost.slice(0, colon1);
  const [toHost, toPortText] = takeHost(afterHost.slice(colon1 + 1), spec);
  if (toPortText === undefined) throw new ConnectToSyntaxError(shape);
  if (toPortText.includes(':')) {
    throw new ConnectToSyntaxError(`--connect-to ${spec}: too many ":" (IPv6 addresses go in brackets)`);
  }
  checkHostField(host, spec);
  checkHostField(toHost, spec);
  const rule: ConnectToRule = { spec };
  if (host !== '') rule.host = canonicalHost(host);
  const p = parsePort(port, spec);
  if (p !== undefined) rule.port = p;
  if (toHost !== '') rule.toHost = canonicalHost(toHost);
  const tp = parsePort(toPortText, spec);
  if (tp !== undefined) rule.toPort = tp;
  return rule;
}

/**
 * Every context of a run passes the same `connectTo` array (`makeContext` runs once per domain), so the
 * parsed rules are kept per array and re-used while its contents are unchanged (a bulk run's world has
 * hundreds of rules; parsing them per domain was measurable, docs/performance.md).
 */
const parsedLists = new WeakMap<readonly string[], { specs: string[]; rules: ConnectToRule[] }>();

export function parseConnectToList(specs: readonly string[]): ConnectToRule[] {
  const hit = parsedLists.get(specs);
  if (hit && hit.specs.length === specs.length && hit.specs.every((s, i) => s === specs[i])) return hit.rules.slice();
  const rules = specs.map(parseConnectTo);
  parsedLists.set(specs, { specs: [...specs], rules });
  return rules.slice();
}

export interface WantedDestination {
  /** the host name from the URL or MX record (or an IP literal) */
  host: string;
  /** the address our resolver returned for it (same as host for IP literals) */
  address?: string;
  port: number;
}

function ruleMatches(rule: ConnectToRule, host: string, address: string | undefined, port: number): boolean {
  if (rule.port !== undefined && rule.port !== port) return false;
  if (rule.host === undefined) return true;
  return rule.host === host || (address !== undefined && rule.host === address);
}

/**
 * Where to connect when `wanted` is asked for. Without a matching rule that is
 * the resolved address (or the host itself when no address is given).
 */
export function mapDestination(rules: readonly ConnectToRule[], wanted: WantedDestination): Destination {
  const host = canonicalHost(wanted.host);
  const address = wanted.address === undefined ? undefined : canonicalHost(wanted.address);
  const fallback = address ?? host;
  for (const rule of rules) {
    if (!ruleMatches(rule, host, address, wanted.port)) continue;
    return { host: rule.toHost ?? fallback, port: rule.toPort ?? wanted.port, rule };
  }
  return { host: fallback, port: wanted.port };
}

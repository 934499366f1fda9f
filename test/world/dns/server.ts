/**
 * The fixture world's authoritative-and-recursive-looking DNS server on loopback
 * (UDP and TCP on one port), answering from a DnsFixture.
 *
 * It behaves like a validating resolver as far as the checker can tell: AD on
 * answers from signed zones when the query sets DO (or AD, RFC 6840 §5.7),
 * SERVFAIL + EDE 6 for bogus zones unless CD is set, truncation (TC) when a UDP
 * answer exceeds the client's EDNS size, and per-name faults and delay.
 */
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import packet from 'dns-packet';
import type { RRType } from '../../../src/checker/dns/types.ts';
import { RR_TYPES } from '../../../src/checker/dns/types.ts';
import { encodeCharacterStrings } from '../../../src/checker/dns/wire.ts';
import { FixtureZones, type DnsFixture } from './zone.ts';
import { bindSamePort, createDnsTcpServer, listenOn } from './transport.ts';

export interface DnsServer {
  host: string;
  port: number;
  /** "127.0.0.1:port", as the stub's `--resolver` wants it */
  address: string;
  /** RFC 8484 endpoint (plain HTTP on loopback: the transport under test is the wire format) when started with `doh: true` */
  dohUrl?: string;
  zones: FixtureZones;
  /** queries received (UDP + TCP), and per "name TYPE" */
  stats: { queries: number; udp: number; tcp: number; byQuestion: Map<string, number> };
  setDelay(ms: number): void;
  setFixture(fixture: DnsFixture): void;
  stop(): Promise<void>;
}

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

function toWireRecord(name: string, type: RRType, ttl: number, data: unknown): packet.Answer {
  switch (type) {
    case 'SPF':
      // dns-packet has no SPF codec: send the TXT-format RDATA raw
      return { type: 'SPF', name, ttl, data: encodeCharacterStrings(data as string[]) } as unknown as packet.Answer;
    case 'TLSA': {
      const t = data as { usage: number; selector: number; matchingType: number; data: string };
      return { type: 'TLSA', name, ttl, data: { usage: t.usage, selector: t.selector, matchingType: t.matchingType, certificate: Buffer.from(t.data, 'hex') } } as unknown as packet.Answer;
    }
    case 'DS': {
      const d = data as { keyTag: number; algorithm: number; digestType: number; digest: string };
      return { type: 'DS', name, ttl, data: { ...d, digest: Buffer.from(d.digest, 'hex') } } as unknown as packet.Answer;
    }
    case 'DNSKEY': {
      const k = data as { flags: number; algorithm: number; key: string };
      return { type: 'DNSKEY', name, ttl, data: { ...k, key: Buffer.from(k.key, 'base64') } } as unknown as packet.Answer;
    }
    case 'TXT':
      return { type: 'TXT', name, ttl, data: (data as string[]).map((s) => Buffer.from(s, 'utf8')) } as packet.Answer;
    default:
      return { type, name, ttl, data } as unknown as packet.Answer;
  }
}

export async function startDnsServer(fixture: DnsFixture, options: { host?: string; doh?: boolean } = {}): Promise<DnsServer> {
  const host = options.host ?? '127.0.0.1';
  let zones = new FixtureZones(fixture);
  let delayMs = fixture.delayMs ?? 0;
  const stats = { queries: 0, udp: 0, tcp: 0, byQuestion: new Map<string, number>() };
  const timers = new Set<NodeJS.Timeout>();

  /** The response for a query, or null to stay silent (injected timeout). */
  function respond(msg: Buffer, transport: 'udp' | 'tcp' | 'doh'): Buffer | null {
    let query: packet.DecodedPacket;
    try {
      query = packet.decode(msg);
    } catch {
      return null;
    }
    const q = query.questions?.[0];
    if (!q) return null;
    stats.queries++;
    if (transport !== 'doh') stats[transport]++;
    const key = `${q.name.toLowerCase()} ${q.type}`;
    stats.byQuestion.set(key, (stats.byQuestion.get(key) ?? 0) + 1);
    const opt = query.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize?: number; flags?: number } | undefined;
    const dnssecOk = Boolean(opt && ((opt.flags ?? 0) & packet.DNSSEC_OK)) || Boolean(query.flag_ad);
    const cd = Boolean(query.flag_cd);
    const type = q.type as RRType;
    const known = RR_TYPES.includes(type);
    const z = known
      ? zones.answer(q.name, type, { dnssecOk, cd })
      : { rcode: 'NOERROR' as const, answers: [], cnameChain: [], ad: false, drop: false };
    if (z.drop) return null;

    const answers: packet.Answer[] = [
      ...z.cnameChain.map((c) => toWireRecord(c.name, 'CNAME', c.ttl, c.data)),
      ...z.answers.map((a) => toWireRecord(a.name, type, a.ttl, a.data)),
    ];
    const authorities: packet.Answer[] = [];
    if (z.rcode === 'NXDOMAIN' || (z.rcode === 'NOERROR' && z.answers.length === 0)) {
      authorities.push({
        type: 'SOA', name: 'test', ttl: 60,
        data: { mname: 'ns.test', rname: 'hostmaster.test', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 },
      } as packet.Answer);
    }
    const ede = 'ede' in z && z.ede ? z.ede : undefined;
    const additionals: packet.Answer[] = opt
      ? [{
          type: 'OPT', name: '.', udpPayloadSize: 1232, flags: dnssecOk ? packet.DNSSEC_OK : 0,
          options: ede ? [{ code: 15, data: Buffer.concat([Buffer.from([ede.code >> 8, ede.code & 0xff]), Buffer.from(ede.text)]) }] : [],
        } as unknown as packet.Answer]
      : [];
    let flags = packet.RECURSION_AVAILABLE | ((query.flags ?? 0) & packet.RECURSION_DESIRED) | RCODE[z.rcode];
    if (z.ad) flags |= packet.AUTHENTIC_DATA;
    if (cd) flags |= packet.CHECKING_DISABLED;
    const response = { type: 'response' as const, id: query.id, flags, questions: query.questions, answers, authorities, additionals };
    const full = packet.encode(response);
    if (transport === 'udp') {
      // RFC 6891 §6.2.5: the client's advertised size (512 without EDNS)
      const limit = opt ? Math.max(512, Math.min(opt.udpPayloadSize ?? 512, 1232)) : 512;
      if (full.length > limit) {
        return packet.encode({ ...response, flags: flags | packet.TRUNCATED_RESPONSE, answers: [], authorities: [] });
      }
    }
    return full;
  }

  function later(fn: () => void): void {
    if (delayMs <= 0) return fn();
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, delayMs);
    timers.add(t);
  }

  const makeUdp = (): dgram.Socket => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    socket.on('message', (msg, rinfo) => {
      const out = respond(msg, 'udp');
      if (out) later(() => socket.send(out, rinfo.port, rinfo.address));
    });
    return socket;
  };
  const tcp = createDnsTcpServer((msg, reply) => {
    const out = respond(msg, 'tcp');
    if (out) later(() => reply(out));
  });
  // one port for both transports
  const { udp, port } = await bindSamePort(makeUdp, host, listenOn(tcp.server, host));

  let doh: http.Server | undefined;
  let dohUrl: string | undefined;
  if (options.doh) {
    doh = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let msg: Buffer | undefined;
        if (req.method === 'POST') msg = Buffer.concat(chunks);
        else {
          const q = new URL(req.url ?? '/', 'http://x').searchParams.get('dns');
          if (q) msg = Buffer.from(q, 'base64url');
        }
        const out = msg ? respond(msg, 'doh') : null;
        if (!out) return; // injected timeout: never answer
        later(() => {
          res.writeHead(200, { 'content-type': 'application/dns-message', 'content-length': out.length });
          res.end(out);
        });
      });
    });
    await new Promise<void>((r) => doh!.listen(0, host, () => r()));
    const a = doh.address() as net.AddressInfo;
    dohUrl = `http://${net.isIPv6(host) ? `[${host}]` : host}:${a.port}/dns-query`;
  }

  return {
    host,
    port,
    ...(dohUrl ? { dohUrl } : {}),
    address: net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`,
    get zones() {
      return zones;
    },
    stats,
    setDelay(ms: number) {
      delayMs = ms;
    },
    setFixture(next: DnsFixture) {
      zones = new FixtureZones(next);
      delayMs = next.delayMs ?? delayMs;
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      tcp.destroyAll();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => tcp.server.close(() => r())),
        new Promise<void>((r) => {
          if (!doh) return r();
          doh.closeAllConnections();
          doh.close(() => r());
        }),
      ]);
    },
  };
}

/**
 * A hostile DNS server for the hardening suites, on 127.0.0.1 only: it answers from a DnsFixture
 * (the same zone logic as the fixture world) but lets a test decide, query by query, to
 * misbehave — drop, SERVFAIL, truncate with TCP refused, send a forged answer with a wrong ID or
 * from a spoofed source port before the real one, or answer differently each time (rebinding).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import packet from 'dns-packet';
import type { RRType } from '../../../src/checker/dns/types.ts';
import { RR_TYPES } from '../../../src/checker/dns/types.ts';
import { FixtureZones, type DnsFixture } from '../dns/zone.ts';
import { bindSamePort, createDnsTcpServer, listenOn } from '../dns/transport.ts';

export interface HostileQuery {
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
  /** how many times this "name TYPE" was asked so far, this one included */
  count: number;
}

export type Behaviour =
  | { kind: 'answer' }
  /** stay silent: the client times out */
  | { kind: 'drop' }
  | { kind: 'servfail' }
  /** UDP: an empty answer with TC set (the client must retry over TCP) */
  | { kind: 'truncate' }
  /** first a forged answer carrying `forged` records with a wrong ID, then the real answer */
  | { kind: 'wrong-id'; forged: packet.Answer[] }
  /** first a forged answer from another source port, then the real answer */
  | { kind: 'spoof-port'; forged: packet.Answer[] }
  /** answer with these records instead of the zone's (e.g. rebinding), TTL 0 */
  | { kind: 'records'; records: packet.Answer[] };

export interface HostileDnsOptions {
  fixture: DnsFixture;
  behave?: (q: HostileQuery) => Behaviour;
  /** listen on TCP too (default true); false means TCP connections are refused */
  tcp?: boolean;
}

export interface HostileDns {
  /** "127.0.0.1:port" */
  address: string;
  port: number;
  stats: { udp: number; tcp: number; byQuestion: Map<string, number> };
  stop(): Promise<void>;
}

function wireRecord(name: string, type: RRType, ttl: number, data: unknown): packet.Answer {
  switch (type) {
    case 'TXT':
    case 'SPF':
      return { type: 'TXT', name, ttl, data: (data as string[]).map((s) => Buffer.from(s, 'utf8')) } as packet.Answer;
    case 'TLSA': {
      const t = data as { usage: number; selector: number; matchingType: number; data: string };
      return { type: 'TLSA', name, ttl, data: { usage: t.usage, selector: t.selector, matchingType: t.matchingType, certificate: Buffer.from(t.data, 'hex') } } as unknown as packet.Answer;
    }
    case 'DS':
    case 'DNSKEY':
    case 'CAA':
      return { type: 'TXT', name, ttl, data: [] } as unknown as packet.Answer; // not served by this server
    default:
      return { type, name, ttl, data } as unknown as packet.Answer;
  }
}

const SOA = {
  type: 'SOA', name: 'test', ttl: 60,
  data: { mname: 'ns.test', rname: 'hostmaster.test', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 },
} as packet.Answer;

export async function startHostileDns(options: HostileDnsOptions): Promise<HostileDns> {
  const zones = new FixtureZones(options.fixture);
  const stats = { udp: 0, tcp: 0, byQuestion: new Map<string, number>() };
  const timers = new Set<NodeJS.Timeout>();

  function build(query: packet.DecodedPacket, q: packet.Question, behaviour: Behaviour): packet.Packet {
    const base = { type: 'response' as const, id: query.id, questions: query.questions };
    const rd = (query.flags ?? 0) & packet.RECURSION_DESIRED;
    if (behaviour.kind === 'servfail') return { ...base, flags: packet.RECURSION_AVAILABLE | rd | 2, answers: [] };
    if (behaviour.kind === 'truncate') return { ...base, flags: packet.RECURSION_AVAILABLE | rd | packet.TRUNCATED_RESPONSE, answers: [] };
    if (behaviour.kind === 'records') return { ...base, flags: packet.RECURSION_AVAILABLE | rd, answers: behaviour.records };
    const type = q.type as RRType;
    if (!RR_TYPES.includes(type)) return { ...base, flags: packet.RECURSION_AVAILABLE | rd, answers: [], authorities: [SOA] };
    const z = zones.answer(q.name, type, { dnssecOk: true, cd: Boolean(query.flag_cd) });
    const rcode = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 }[z.rcode];
    const answers = [
      ...z.cnameChain.map((c) => wireRecord(c.name, 'CNAME', c.ttl, c.data)),
      ...z.answers.map((a) => wireRecord(a.name, type, a.ttl, a.data)),
    ];
    const empty = z.rcode === 'NXDOMAIN' || (z.rcode === 'NOERROR' && z.answers.length === 0);
    return { ...base, flags: packet.RECURSION_AVAILABLE | rd | rcode | (z.ad ? packet.AUTHENTIC_DATA : 0), answers, authorities: empty ? [SOA] : [] };
  }

  /** The behaviour for one query and the messages to send, in order (null: silence). */
  function handle(msg: Buffer, transport: 'udp' | 'tcp'): { behaviour: Behaviour; query: packet.DecodedPacket; real: Buffer | null } | null {
    let query: packet.DecodedPacket;
    try {
      query = packet.decode(msg);
    } catch {
      return null;
    }
    const q = query.questions?.[0];
    if (!q) return null;
    stats[transport]++;
    const key = `${q.name.toLowerCase()} ${q.type}`;
    const count = (stats.byQuestion.get(key) ?? 0) + 1;
    stats.byQuestion.set(key, count);
    const fromZone = options.fixture.names[q.name.toLowerCase()] ?? {};
    let behaviour = options.behave?.({ name: q.name.toLowerCase(), type: q.type, transport, count }) ?? { kind: 'answer' };
    // per-name faults in the fixture still apply
    if (behaviour.kind === 'answer' && fromZone.fault === 'timeout' && (!fromZone.faultTypes || fromZone.faultTypes.includes(q.type as RRType))) behaviour = { kind: 'drop' };
    if (behaviour.kind === 'drop') return { behaviour, query, real: null };
    if (behaviour.kind === 'truncate' && transport === 'tcp') behaviour = { kind: 'answer' };
    return { behaviour, query, real: packet.encode(build(query, q, behaviour.kind === 'wrong-id' || behaviour.kind === 'spoof-port' ? { kind: 'answer' } : behaviour)) };
  }

  function forged(query: packet.DecodedPacket, records: packet.Answer[], id: number): Buffer {
    return packet.encode({ type: 'response', id, flags: packet.RECURSION_AVAILABLE | packet.RECURSION_DESIRED, questions: query.questions, answers: records });
  }

  function later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  }

  const spoofer = dgram.createSocket('udp4');
  const onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    const h = handle(msg, 'udp');
    if (!h || !h.real) return;
    const { behaviour, query, real } = h;
    if (behaviour.kind === 'wrong-id') {
      udp.send(forged(query, behaviour.forged, (query.id! + 1) & 0xffff), rinfo.port, rinfo.address);
      later(30, () => udp.send(real, rinfo.port, rinfo.address));
    } else if (behaviour.kind === 'spoof-port') {
      spoofer.send(forged(query, behaviour.forged, query.id!), rinfo.port, rinfo.address);
      later(30, () => udp.send(real, rinfo.port, rinfo.address));
    } else if (real.length > 1232) {
      // RFC 6891 §6.2.5: more than the client's EDNS size goes out truncated; the client retries over TCP
      udp.send(packet.encode(build(query, query.questions![0]!, { kind: 'truncate' })), rinfo.port, rinfo.address);
    } else {
      udp.send(real, rinfo.port, rinfo.address);
    }
  };
  const newUdp = (): dgram.Socket => dgram.createSocket('udp4').on('message', onMessage);
  const tcp = createDnsTcpServer((msg, reply) => {
    const h = handle(msg, 'tcp');
    if (h?.real) reply(h.real);
  });

  await new Promise<void>((r) => spoofer.bind(0, '127.0.0.1', () => r()));
  const { udp, port } = await bindSamePort(
    newUdp,
    '127.0.0.1',
    options.tcp === false
      ? // make sure nothing listens on this TCP port: connecting must be refused
        (p) =>
          new Promise<boolean>((resolve) => {
            const probe = net.createServer();
            probe.once('error', () => resolve(false));
            probe.listen(p, '127.0.0.1', () => probe.close(() => resolve(true)));
          })
      : listenOn(tcp.server, '127.0.0.1'),
  );

  return {
    address: `127.0.0.1:${port}`,
    port,
    stats,
    async stop() {
      for (const t of timers) clearTimeout(t);
      tcp.destroyAll();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => spoofer.close(() => r())),
        new Promise<void>((r) => (tcp.server.listening ? tcp.server.close(() => r()) : r())),
      ]);
    },
  };
}

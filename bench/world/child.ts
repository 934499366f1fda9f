/**
 * A fixture world in a child process, so that in the bulk benchmark the DNS,
 * SMTP and HTTPS servers do not compete with the checker for one event loop
 * (the machine has two cores: one for the world, one for the checker).
 *
 * Started by `startWorldProcess()` (remote.ts) with the fixture spec as its
 * one argument (JSON); talks over the IPC channel: `ready` once listening, then
 * answers `delay`, `stats` and `stop` requests.
 */
import dgram from 'node:dgram';
import { startWorld, type World } from '../../test/world/index.ts';
import { bulkWorld } from '../fixtures/bulk.ts';
import { guardLoopback } from '../lib/guard.ts';
import type { ChildReply, ChildRequest, WorldSpec, WorldStats } from './protocol.ts';

guardLoopback();

/**
 * The fixture DNS server keeps the kernel's default UDP receive buffer (208 KiB
 * here), which overflows when a bulk run's bursts arrive faster than its one
 * event loop drains them: answers are lost and the checker waits out its 2 s
 * timeout. A production resolver is configured for bursts (Unbound:
 * so-rcvbuf 4m), so the world process gives its UDP sockets 4 MiB (the kernel
 * caps this at net.core.rmem_max).
 */
const WORLD_UDP_RCVBUF = 4 * 1024 * 1024;
const createSocket = dgram.createSocket;
(dgram as { createSocket: typeof dgram.createSocket }).createSocket = ((type: dgram.SocketType | dgram.SocketOptions, listener?: (msg: Buffer, rinfo: dgram.RemoteInfo) => void) => {
  const options: dgram.SocketOptions = typeof type === 'string' ? { type } : type;
  return createSocket({ recvBufferSize: WORLD_UDP_RCVBUF, ...options }, listener);
}) as typeof dgram.createSocket;

const spec = JSON.parse(process.argv[2] ?? '{}') as WorldSpec;
const send = (m: ChildReply): void => {
  process.send?.(m);
};

function statsOf(world: World): WorldStats {
  const cpu = process.cpuUsage();
  return {
    dns: { queries: world.dns.stats.queries, udp: world.dns.stats.udp, tcp: world.dns.stats.tcp },
    smtpAccepted: Object.values(world.smtp).reduce((n, s) => n + s.acceptedSockets, 0),
    httpsAccepted: world.https?.acceptedSockets ?? 0,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

const t0 = performance.now();
const built = bulkWorld(spec.n, spec.seed);
const world = await startWorld(built.options);
send({
  type: 'ready',
  resolver: world.resolver,
  connectTo: [...new Set(world.connectTo)],
  caPem: world.ca.certPem,
  domains: built.domains,
  startupMs: performance.now() - t0,
});

process.on('message', (raw) => {
  const m = raw as ChildRequest;
  switch (m.type) {
    case 'delay':
      world.dns.setDelay(m.ms);
      send({ type: 'ok', id: m.id });
      break;
    case 'stats':
      send({ type: 'stats', id: m.id, stats: statsOf(world) });
      break;
    case 'stop':
      void world.stop().then(() => {
        send({ type: 'ok', id: m.id });
        process.disconnect();
      });
      break;
  }
});

/**
 * The default transport: a stub resolver speaking DNS over UDP with TCP
 * fallback on truncation (RFC 7766 §5), EDNS0 with the DO bit, ID and question
 * matching, per-try timeouts, retries, rotation across servers, and a small
 * pool of long-lived UDP sockets instead of one socket per query.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import packet from 'dns-packet';
import type { DnsResponse, QueryOptions, RRType, Resolver } from './types.ts';
import { buildQuery, failureResponse, responseMatches, toDnsResponse } from './wire.ts';

export interface ServerAddress {
  host: string;
  port: number;
}

export interface StubOptions {
  servers: ServerAddress[];
  /** per try, ms */
  timeoutMs?: number;
  /** tries per server */
  tries?: number;
  /** UDP sockets kept per address family (each has its own random source port, RFC 5452 §9.2) */
  poolSize?: number;
  dnssecOk?: boolean;
  /** query ID source (tests); default: crypto-random 16-bit IDs (RFC 5452 §9.2) */
  nextId?: () => number;
}

/** Receive buffer per UDP socket: bursts of answers must not overflow the kernel's default. */
const UDP_RECV_BUFFER = 4 * 1024 * 1024;

interface Pending {
  id: number;
  name: string;
  type: RRType;
  server: ServerAddress;
  resolve: (decoded: packet.DecodedPacket) => void;
}

/** Parse "host", "host:port", "[v6]:port" or "v6" into a server address (default port 53). */
export function parseServer(spec: string): ServerAddress {
  const s = spec.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : 53 };
  if (net.isIPv6(s)) return { host: s, port: 53 };
  const hp = /^([^:]+):(\d+)$/.exec(s);
  if (hp) return { host: hp[1]!, port: Number(hp[2]) };
  return { host: s, port: 53 };
}

/** Name servers from resolv.conf (resolv.conf(5)); 127.0.0.1 when none is listed. */
export function systemServers(path = '/etc/resolv.conf'): ServerAddress[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // no resolv.conf: fall through to the default
  }
  const servers = text
    .split('\n')
    .map((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1])
    .filter((s): s is string => Boolean(s))
    .map((s) => ({ host: s.replace(/%.*$/, ''), port: 53 }));
  return servers.length ? servers : [{ host: '127.0.0.1', port: 53 }];
}

export class StubResolver implements Resolver {
  private readonly servers: ServerAddress[];
  private readonly timeoutMs: number;
  private readonly tries: number;
  private readonly poolSize: number;
  private readonly dnssecOk: boolean;
  private readonly nextId: () => number;
  private readonly pools = new Map<'udp4' | 'udp6', dgram.Socket[]>();
  private readonly pending = new Map<dgram.Socket, Map<number, Pending>>();
  private next = 0;
  /** queries sent on the wire (UDP tries + TCP), for benchmarks */
  sent = 0;

  constructor(options: StubOptions) {
    if (!options.servers.length) throw new Error('StubResolver needs at least one server');
    this.servers = options.servers;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.tries = options.tries ?? 2;
    this.poolSize = options.poolSize ?? 4;
    this.dnssecOk = options.dnssecOk ?? true;
    this.nextId = options.nextId ?? (() => randomInt(0x10000));
  }

  async query<T extends RRType>(name: string, type: T, options: QueryOptions = {}): Promise<DnsResponse<T>> {
    const { signal } = options;
    signal?.throwIfAborted();
    // rotate the starting server so load spreads and a dead first server costs one try, not all
    const start = this.next++ % this.servers.length;
    let last: DnsResponse<T> | undefined;
    // SERVFAIL/REFUSED are answers: that server is not asked again; only silence is retried
    const answered = new Set<number>();
    for (let attempt = 0; attempt < this.tries; attempt++) {
      for (let i = 0; i < this.servers.length; i++) {
        const index = (start + i) % this.servers.length;
        if (answered.has(index)) continue;
        const r = await this.ask(this.servers[index]!, name, type, options);
        if (r.outcome === 'answer' || r.outcome === 'nodata' || r.outcome === 'nxdomain') return r;
        if (r.outcome === 'servfail' || r.outcome === 'refused') answered.add(index);
        last = r;
      }
      if (answered.size === this.servers.length) break;
    }
    return last ?? failureResponse(name, type, 'timeout', 'no server answered');
  }

  private label(server: ServerAddress): string {
    return net.isIPv6(server.host) ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
  }

  private async ask<T extends RRType>(server: ServerAddress, name: string, type: T, options: QueryOptions): Promise<DnsResponse<T>> {
    const id = this.nextId();
    const msg = buildQuery(name, type, { id, dnssecOk: this.dnssecOk, cd: options.cd ?? false });
    const label = this.label(server);
    let decoded: packet.DecodedPacket | undefined;
    try {
      decoded = await this.udp(server, msg, id, name, type, options.signal);
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      return failureResponse(name, type, 'error', (err as Error).message, label);
    }
    if (!decoded) return failureResponse(name, type, 'timeout', `no answer from ${label} within ${this.timeoutMs} ms`, label);
    if (decoded.flag_tc) {
      // RFC 7766 §5: a truncated UDP answer is retried over TCP
      try {
        decoded = await this.tcp(server, msg, id, name, type, options.signal);
      } catch (err) {
        if (options.signal?.aborted) throw options.signal.reason;
        return failureResponse(name, type, 'error', `TCP: ${(err as Error).message}`, label);
      }
      if (!decoded) return failureResponse(name, type, 'timeout', `no TCP answer from ${label} within ${this.timeoutMs} ms`, label);
    }
    return toDnsResponse(decoded, name, type, label);
  }

  private socketFor(host: string): dgram.Socket {
    const family = net.isIPv6(host) ? 'udp6' : 'udp4';
    let pool = this.pools.get(family);
    if (!pool) {
      pool = [];
      this.pools.set(family, pool);
    }
    if (pool.length < this.poolSize) {
      const socket = dgram.createSocket({ type: family, recvBufferSize: UDP_RECV_BUFFER });
      const waiting = new Map<number, Pending>();
      this.pending.set(socket, waiting);
      socket.on('message', (buf, rinfo) => {
        let decoded: packet.DecodedPacket;
        try {
          decoded = packet.decode(buf);
        } catch {
          return; // garbage: keep waiting for the real answer
        }
        const did = decoded.id ?? -1;
        const p = waiting.get(did);
        // RFC 5452 §4.3: accept only from the server we asked, with our ID and question
        if (!p || rinfo.address !== p.server.host || rinfo.port !== p.server.port) return;
        if (!responseMatches(decoded, p.id, p.name, p.type)) return;
        waiting.delete(did);
        p.resolve(decoded);
      });
      socket.on('error', () => {
        /* per-query timeouts handle lost sockets */
      });
      socket.unref();
      pool.push(socket);
      return socket;
    }
    return pool[randomInt(pool.length)]!;
  }

  private udp(server: ServerAddress, msg: Buffer, id: number, name: string, type: RRType, signal?: AbortSignal): Promise<packet.DecodedPacket | undefined> {
    const socket = this.socketFor(server.host);
    const waiting = this.pending.get(socket)!;
    if (waiting.has(id)) {
      // the ID is in use on this socket: send the query under a fresh one (in the message too)
      const fresh = this.nextId();
      const copy = Buffer.from(msg);
      copy.writeUInt16BE(fresh, 0);
      return this.udp(server, copy, fresh, name, type, signal);
    }
    return new Promise((resolve, reject) => {
      const finish = (value: packet.DecodedPacket | undefined, error?: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (waiting.get(id) === entry) waiting.delete(id);
        if (error !== undefined) reject(error);
        else resolve(value);
      };
      const entry: Pending = { id, name, type, server, resolve: (d) => finish(d) };
      const onAbort = () => finish(undefined, signal!.reason);
      const timer = setTimeout(() => finish(undefined), this.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      waiting.set(id, entry);
      this.sent++;
      socket.send(msg, server.port, server.host, (err) => {
        if (err) finish(undefined, err);
      });
    });
  }

  private tcp(server: ServerAddress, msg: Buffer, id: number, name: string, type: RRType, signal?: AbortSignal): Promise<packet.DecodedPacket | undefined> {
    return new Promise((resolve, reject) => {
      this.sent++;
      const socket = net.connect({ host: server.host, port: server.port });
      let buffered = Buffer.alloc(0);
      const finish = (value: packet.DecodedPacket | undefined, error?: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.destroy();
        if (error !== undefined) reject(error);
        else resolve(value);
      };
      const onAbort = () => finish(undefined, signal!.reason);
      const timer = setTimeout(() => finish(undefined), this.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.on('error', (err) => finish(undefined, err));
      socket.on('connect', () => {
        socket.write(Buffer.concat([Buffer.from([msg.length >> 8, msg.length & 0xff]), msg]));
      });
      socket.on('data', (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          const len = buffered.readUInt16BE(0);
          const body = buffered.subarray(2, 2 + len);
          buffered = buffered.subarray(2 + len);
          try {
            const decoded = packet.decode(body);
            if (responseMatches(decoded, id, name, type)) return finish(decoded);
          } catch {
            return finish(undefined, new Error('malformed TCP answer'));
          }
        }
      });
      socket.on('end', () => finish(undefined, new Error('connection closed before an answer')));
    });
  }

  close(): void {
    for (const pool of this.pools.values()) for (const s of pool) s.close();
    this.pools.clear();
    this.pending.clear();
  }
}

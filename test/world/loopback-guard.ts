/**
 * Fixture-world safety net: while installed, every outgoing TCP connection made
 * through node:net (which tls, undici and our dialer all use) and every UDP
 * datagram (our DNS stub) must target a loopback address. Anything else is
 * refused before a packet leaves and recorded, so a policy, connect-to or
 * fixture bug fails the test instead of reaching 10.0.0.1 or 2001:db8::25 for
 * real. The test setup installs it for every test file; `posture demo` too.
 */
import dgram from 'node:dgram';
import net from 'node:net';

type Connect = (this: net.Socket, ...args: unknown[]) => net.Socket;

export interface LoopbackGuard {
  /** destinations that were refused ("host:port") */
  readonly refused: string[];
  uninstall(): void;
}

function targetOf(args: unknown[]): { host: string | undefined; port: unknown; path: unknown } {
  let first = args[0];
  if (Array.isArray(first)) first = first[0]; // net.connect passes normalized [options, cb]
  if (first && typeof first === 'object') {
    const o = first as { host?: string; port?: unknown; path?: unknown };
    return { host: o.host, port: o.port, path: o.path };
  }
  return { host: typeof args[1] === 'string' ? args[1] : undefined, port: first, path: undefined };
}

function isLoopback(host: string | undefined): boolean {
  if (host === undefined || host === 'localhost') return true;
  const h = host.replace(/^\[|\]$/g, '');
  return /^127\./.test(h) || h === '::1' || /^::ffff:127\./i.test(h);
}

export function installLoopbackGuard(): LoopbackGuard {
  const original = net.Socket.prototype.connect as unknown as Connect;
  const refused: string[] = [];
  const guarded: Connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const { host, port, path } = targetOf(args);
    if (path === undefined && !isLoopback(host)) {
      refused.push(`${host}:${String(port)}`);
      const err = Object.assign(new Error(`loopback guard: refused connection to ${host}:${String(port)}`), { code: 'EGUARD' });
      process.nextTick(() => this.destroy(err));
      return this;
    }
    return original.apply(this, args);
  };
  (net.Socket.prototype as unknown as { connect: Connect }).connect = guarded;

  type Send = (this: dgram.Socket, ...args: unknown[]) => void;
  const originalSend = dgram.Socket.prototype.send as unknown as Send;
  const guardedSend: Send = function guardedSend(this: dgram.Socket, ...args: unknown[]) {
    // send(msg, [offset, length,] port, address, [callback])
    const address = args.find((a, i) => i > 0 && typeof a === 'string') as string | undefined;
    if (address !== undefined && !isLoopback(address)) {
      const port = args[args.indexOf(address) - 1];
      refused.push(`udp ${address}:${String(port)}`);
      const cb = args.at(-1);
      const err = Object.assign(new Error(`loopback guard: refused datagram to ${address}`), { code: 'EGUARD' });
      if (typeof cb === 'function') process.nextTick(() => (cb as (e: Error) => void)(err));
      return;
    }
    return originalSend.apply(this, args);
  };
  (dgram.Socket.prototype as unknown as { send: Send }).send = guardedSend;

  // servers too: a listener without a host binds every interface, which tests must never do
  type Listen = (this: net.Server, ...args: unknown[]) => net.Server;
  const originalListen = net.Server.prototype.listen as unknown as Listen;
  const guardedListen: Listen = function guardedListen(this: net.Server, ...args: unknown[]) {
    const first = args[0];
    const host = first && typeof first === 'object' ? (first as { host?: string; path?: string }).host : typeof args[1] === 'string' ? args[1] : undefined;
    const isPath = (first && typeof first === 'object' && 'path' in (first as object)) || (typeof first === 'string' && !/^\d+$/.test(first));
    if (!isPath && (host === undefined || !isLoopback(host))) {
      refused.push(`listen ${host ?? '(all interfaces)'}`);
      throw Object.assign(new Error(`loopback guard: refused to listen on ${host ?? 'all interfaces'}; bind 127.0.0.1`), { code: 'EGUARD' });
    }
    return originalListen.apply(this, args);
  };
  (net.Server.prototype as unknown as { listen: Listen }).listen = guardedListen;
  return {
    refused,
    uninstall() {
      (net.Socket.prototype as unknown as { connect: Connect }).connect = original;
      (dgram.Socket.prototype as unknown as { send: Send }).send = originalSend;
      (net.Server.prototype as unknown as { listen: Listen }).listen = originalListen;
    },
  };
}

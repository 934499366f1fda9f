/**
 * Test-only safety net: while installed, every outgoing TCP connection made
 * through node:net (which tls, undici and our dialer all use) must target a
 * loopback address. Anything else is refused before a packet leaves and
 * recorded, so a policy or connect-to bug fails the test instead of reaching
 * 10.0.0.1 or 169.254.169.254 for real.
 */
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
  return {
    refused,
    uninstall() {
      (net.Socket.prototype as unknown as { connect: Connect }).connect = original;
    },
  };
}

/**
 * The fixture world's HTTPS server: one listener on 127.0.0.1 (ephemeral
 * port) that serves many virtual hosts. SNI picks each host's certificate;
 * the Host header picks its routes. It counts accepted TCP sockets so tests
 * can prove that a refused destination was never connected to.
 */
import https from 'node:https';
import tls from 'node:tls';
import type net from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IssuedCert } from './tls/ca.ts';

export type Route =
  | { kind: 'body'; body: string | Buffer; contentType?: string; status?: number; headers?: Record<string, string> }
  | { kind: 'redirect'; location: string; status?: 301 | 302 | 307 | 308 }
  | { kind: 'status'; status: number; body?: string }
  /** `bytes` bytes of `x`; with `declareLength: false` it is sent chunked (no Content-Length) */
  | { kind: 'oversized'; bytes: number; declareLength?: boolean; contentType?: string }
  /** headers at once, then `chunk` every `intervalMs`, `chunks` times (default: forever) */
  | { kind: 'trickle'; chunk: string; intervalMs: number; chunks?: number; contentType?: string }
  /** wait `delayMs` before sending anything (headers included) */
  | { kind: 'slow-headers'; delayMs: number; body?: string; contentType?: string };

export interface VirtualHost {
  /** certificate served for this SNI name */
  cert: IssuedCert;
  /** path → route; unknown paths get 404 */
  routes?: Record<string, Route>;
}

export interface HttpsWorldOptions {
  /** host name (lower case) → certificate and routes */
  hosts: Record<string, VirtualHost>;
  /** served when the client sends no SNI or an unknown name */
  defaultCert: IssuedCert;
}

export interface HttpsWorld {
  port: number;
  /** TCP sockets accepted so far */
  readonly acceptedSockets: number;
  /** requests served, as "host path" */
  readonly requests: string[];
  setRoute(host: string, path: string, route: Route): void;
  close(): Promise<void>;
}

function contextFor(cert: IssuedCert): tls.SecureContext {
  return tls.createSecureContext({ key: cert.keyPem, cert: cert.chainPem });
}

export async function startHttpsWorld(options: HttpsWorldOptions): Promise<HttpsWorld> {
  const contexts = new Map<string, tls.SecureContext>();
  const routes = new Map<string, Record<string, Route>>();
  for (const [name, vhost] of Object.entries(options.hosts)) {
    contexts.set(name.toLowerCase(), contextFor(vhost.cert));
    routes.set(name.toLowerCase(), { ...vhost.routes });
  }
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const requests: string[] = [];
  let accepted = 0;

  const server = https.createServer(
    {
      key: options.defaultCert.keyPem,
      cert: options.defaultCert.chainPem,
      SNICallback: (servername, cb) => cb(null, contexts.get(servername.toLowerCase())),
    },
    (req: IncomingMessage, res: ServerResponse) => {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      requests.push(`${host} ${path}`);
      const route = routes.get(host)?.[path];
      serve(route, res, timers);
    },
  );
  server.on('connection', (socket: net.Socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // a client that gives up mid-handshake is not our problem
  server.on('tlsClientError', () => {});

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('HTTPS world: no port');

  return {
    port: address.port,
    get acceptedSockets() {
      return accepted;
    },
    requests,
    setRoute(host, path, route) {
      const table = routes.get(host.toLowerCase()) ?? {};
      table[path] = route;
      routes.set(host.toLowerCase(), table);
    },
    async close() {
      for (const t of timers) clearTimeout(t); // clears intervals too
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function serve(route: Route | undefined, res: ServerResponse, timers: Set<NodeJS.Timeout>): void {
  if (!route) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  switch (route.kind) {
    case 'body': {
      const body = typeof route.body === 'string' ? Buffer.from(route.body) : route.body;
      res.writeHead(route.status ?? 200, {
        'content-type': route.contentType ?? 'text/plain',
        'content-length': body.length,
        ...route.headers,
      });
      res.end(body);
      return;
    }
    case 'redirect':
      res.writeHead(route.status ?? 301, { location: route.location, 'content-type': 'text/plain' });
      res.end('moved\n');
      return;
    case 'status':
      res.writeHead(route.status, { 'content-type': 'text/plain' });
      res.end(route.body ?? '');
      return;
    case 'oversized': {
      const body = Buffer.alloc(route.bytes, 'x');
      const headers: Record<string, string | number> = { 'content-type': route.contentType ?? 'text/plain' };
      if (route.declareLength !== false) headers['content-length'] = body.length;
      res.writeHead(200, headers);
      if (route.declareLength === false) {
        // several writes so it goes out as chunks
        for (let i = 0; i < body.length; i += 8192) res.write(body.subarray(i, i + 8192));
        res.end();
      } else {
        res.end(body);
      }
      return;
    }
    case 'trickle': {
      res.writeHead(200, { 'content-type': route.contentType ?? 'text/plain' });
      let sent = 0;
      const timer = setInterval(() => {
        if (res.destroyed || (route.chunks !== undefined && sent >= route.chunks)) {
          clearInterval(timer);
          timers.delete(timer);
          if (!res.destroyed) res.end();
          return;
        }
        res.write(route.chunk);
        sent++;
      }, route.intervalMs);
      timers.add(timer);
      return;
    }
    case 'slow-headers': {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': route.contentType ?? 'text/plain' });
        res.end(route.body ?? '');
      }, route.delayMs);
      timers.add(timer);
      return;
    }
  }
}

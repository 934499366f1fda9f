/**
 * Hostile and counting TCP servers for the hardening suites, all on 127.0.0.1:
 * - an SMTP server whose greeting never ends (`220-` continuation lines forever);
 * - a counting server that accepts and holds every connection (the SSRF matrix routes each
 *   refused address to one, so a policy bug shows up as an accepted socket, not a real packet).
 */
import net from 'node:net';

export interface CountingServer {
  port: number;
  readonly accepted: number;
  close(): Promise<void>;
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as net.AddressInfo).port;
}

function tracked(onSocket: (socket: net.Socket) => void): { server: net.Server; sockets: Set<net.Socket>; count: () => number; timers: Set<NodeJS.Timeout> } {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onSocket(socket);
  });
  return { server, sockets, count: () => accepted, timers };
}

function closer(t: { server: net.Server; sockets: Set<net.Socket>; timers: Set<NodeJS.Timeout> }): () => Promise<void> {
  return async () => {
    for (const timer of t.timers) clearInterval(timer);
    for (const s of t.sockets) s.destroy();
    await new Promise<void>((r) => t.server.close(() => r()));
  };
}

/** Accepts, counts, says nothing. */
export async function startCountingServer(): Promise<CountingServer> {
  const t = tracked(() => {});
  const port = await listen(t.server);
  return { port, get accepted() { return t.count(); }, close: closer(t) };
}

/** An SMTP greeting that never ends: a 220- continuation line every `intervalMs` (0: as fast as the socket drains). */
export async function startEndlessBannerSmtp(intervalMs = 0): Promise<CountingServer> {
  const t = tracked((socket) => {
    const line = Buffer.from(`220-${'x'.repeat(70)} endless greeting\r\n`);
    if (intervalMs > 0) {
      const timer = setInterval(() => {
        if (socket.destroyed) clearInterval(timer);
        else socket.write(line);
      }, intervalMs);
      t.timers.add(timer);
      return;
    }
    const pump = (): void => {
      while (!socket.destroyed && socket.write(line)) { /* until the buffer is full */ }
      if (!socket.destroyed) socket.once('drain', pump);
    };
    pump();
  });
  const port = await listen(t.server);
  return { port, get accepted() { return t.count(); }, close: closer(t) };
}

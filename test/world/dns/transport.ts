/**
 * What every fixture DNS server shares: DNS over TCP framing (RFC 1035 §4.2.2: a two-byte
 * length prefix; several queries may share a connection) and binding UDP and TCP on one port.
 */
import type dgram from 'node:dgram';
import net from 'node:net';

/** `reply(out)` writes one framed answer on the connection; never answering is allowed (a drop). */
export type TcpHandler = (msg: Buffer, reply: (out: Buffer) => void) => void;

export interface DnsTcpServer {
  server: net.Server;
  /** destroy every open connection */
  destroyAll(): void;
}

export function createDnsTcpServer(handle: TcpHandler): DnsTcpServer {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const len = buffered.readUInt16BE(0);
        const msg = buffered.subarray(2, 2 + len);
        buffered = buffered.subarray(2 + len);
        handle(msg, (out) => {
          if (!socket.destroyed) socket.write(Buffer.concat([Buffer.from([out.length >> 8, out.length & 0xff]), out]));
        });
      }
    });
  });
  return {
    server,
    destroyAll() {
      for (const s of sockets) s.destroy();
    },
  };
}

/**
 * Bind a UDP socket to an ephemeral port on `host`, then make the same port good for TCP:
 * `tcp(port)` listens (or checks that nothing does) and says whether it worked. A closed dgram
 * socket cannot be bound again, so each attempt gets a fresh one from `makeUdp`.
 */
export async function bindSamePort(
  makeUdp: () => dgram.Socket,
  host: string,
  tcp: (port: number) => Promise<boolean>,
): Promise<{ udp: dgram.Socket; port: number }> {
  let udp = makeUdp();
  for (let attempt = 0; ; attempt++) {
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const port = udp.address().port;
    if (await tcp(port)) return { udp, port };
    if (attempt > 10) throw new Error(`could not bind a fixture DNS server on ${host}`);
    await new Promise<void>((r) => udp.close(() => r()));
    udp = makeUdp();
  }
}

/** `tcp` for {@link bindSamePort}: listen on the port. */
export function listenOn(server: net.Server, host: string): (port: number) => Promise<boolean> {
  return (port) =>
    new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, host, () => resolve(true));
    });
}

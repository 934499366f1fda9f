/**
 * EXPERIMENT ONLY (bench/stub-experiment.ts): the two stub-resolver fixes that
 * docs/performance.md proposes for src/checker/dns/stub.ts, applied at run time
 * in a worker process so their effect can be measured before anyone changes
 * the source. Never used by `npm run bench`.
 *
 * - `udpRecvBufferBytes`: give every UDP socket created in this process a
 *   larger kernel receive buffer (the stub's pool sockets keep the default,
 *   208 KiB here, which overflows when answers arrive in bursts while the
 *   event loop is busy).
 * - `freshIdOnCollision`: when the random query ID is already pending on the
 *   chosen socket, write the new ID into the message too (the stub sends the
 *   message with the old ID and waits for the new one, which never comes).
 */
import dgram from 'node:dgram';
import { StubResolver } from '../../src/checker/dns/stub.ts';

export interface StubPatches {
  udpRecvBufferBytes?: number;
  freshIdOnCollision?: boolean;
}

export function applyStubPatches(p: StubPatches): void {
  if (p.udpRecvBufferBytes) {
    const size = p.udpRecvBufferBytes;
    const createSocket = dgram.createSocket;
    (dgram as { createSocket: typeof dgram.createSocket }).createSocket = ((type: dgram.SocketType | dgram.SocketOptions, listener?: (msg: Buffer, rinfo: dgram.RemoteInfo) => void) =>
      createSocket({ recvBufferSize: size, ...(typeof type === 'string' ? { type } : type) }, listener)) as typeof dgram.createSocket;
  }
  if (p.freshIdOnCollision) {
    type Udp = (server: { host: string }, msg: Buffer, id: number, ...rest: unknown[]) => unknown;
    const proto = StubResolver.prototype as unknown as { udp: Udp; pending: Map<unknown, Map<number, unknown>>; socketFor(host: string): unknown };
    const udp = proto.udp;
    proto.udp = function patchedUdp(this: typeof proto, server, msg, id, ...rest) {
      // the socket the original will pick: when the pool is full it picks at random, so check every socket
      let fresh = id;
      const taken = (candidate: number): boolean => [...this.pending.values()].some((m) => m.has(candidate));
      while (taken(fresh)) fresh = Math.floor(Math.random() * 0x10000);
      if (fresh !== id) {
        msg = Buffer.from(msg);
        msg.writeUInt16BE(fresh, 0);
      }
      return udp.call(this, server, msg, fresh, ...rest);
    } as Udp;
  }
}

/**
 * The fixture world's SMTP server: 127.0.0.1, ephemeral port, just enough
 * ESMTP for a STARTTLS probe (RFC 5321 §4.2 replies, RFC 3207 STARTTLS):
 * 220 greeting, multi-line 250 to EHLO, 220 to STARTTLS, 221 to QUIT.
 * One server per behaviour; every server counts the TCP sockets it accepted.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { IssuedCert } from './tls/ca.ts';

export interface SmtpWorldOptions {
  /** the name in the greeting and EHLO reply */
  hostname?: string;
  /** offer STARTTLS (default true) */
  starttls?: boolean;
  /** certificate per SNI name */
  certs?: Record<string, IssuedCert>;
  /** certificate when SNI is absent or unknown (required when starttls is on) */
  defaultCert?: IssuedCert;
  /** e.g. { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' } for a legacy-only server */
  tls?: { minVersion?: tls.SecureVersion; maxVersion?: tls.SecureVersion; ciphers?: string };
  /**
   * `normal`: 220 at once; `multiline`: a 220- continuation first;
   * `never`: accept and stay silent; `reject`: 554 and close.
   */
  banner?: 'normal' | 'multiline' | 'never' | 'reject';
  /** delay before the greeting, ms (postscreen-like) */
  bannerDelayMs?: number;
  /** answer STARTTLS with this reply instead of 220 (e.g. "454 4.7.0 TLS not available") */
  starttlsReply?: string;
  /** say 220 to STARTTLS, then send garbage instead of a TLS handshake */
  brokenTls?: boolean;
}

export interface SmtpWorld {
  port: number;
  readonly acceptedSockets: number;
  /** commands received, in order, across connections (after TLS too) */
  readonly commands: string[];
  close(): Promise<void>;
}

function secureContext(cert: IssuedCert, options: SmtpWorldOptions): tls.SecureContext {
  return tls.createSecureContext({
    key: cert.keyPem,
    cert: cert.chainPem,
    ...(options.tls?.minVersion ? { minVersion: options.tls.minVersion } : {}),
    ...(options.tls?.maxVersion ? { maxVersion: options.tls.maxVersion } : {}),
    // OpenSSL 3 refuses TLS 1.0/1.1 and small keys at its default security
    // level; the world must be able to serve the bad configurations we detect
    ciphers: options.tls?.ciphers ?? 'DEFAULT@SECLEVEL=0',
  });
}

export async function startSmtpWorld(options: SmtpWorldOptions = {}): Promise<SmtpWorld> {
  const hostname = options.hostname ?? 'mx.world.test';
  const offerTls = options.starttls ?? true;
  const contexts = new Map<string, tls.SecureContext>();
  for (const [name, cert] of Object.entries(options.certs ?? {})) contexts.set(name.toLowerCase(), secureContext(cert, options));
  const defaultContext = options.defaultCert ? secureContext(options.defaultCert, options) : undefined;
  if (offerTls && !defaultContext && contexts.size === 0) throw new Error('SMTP world: STARTTLS needs a certificate');

  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const commands: string[] = [];
  let accepted = 0;

  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (options.banner === 'never') return; // hold the connection open, say nothing
    const greet = (): void => {
      if (socket.destroyed) return;
      if (options.banner === 'reject') {
        socket.end(`554 5.7.1 ${hostname} no service for you\r\n`);
        return;
      }
      if (options.banner === 'multiline') socket.write(`220-${hostname} ESMTP fixture world\r\n220-(multi-line greeting)\r\n`);
      socket.write(`220 ${hostname} ESMTP ready\r\n`);
      converse(socket, false);
    };
    if (options.bannerDelayMs) {
      const t = setTimeout(() => {
        timers.delete(t);
        greet();
      }, options.bannerDelayMs);
      timers.add(t);
    } else {
      greet();
    }
  });

  function converse(stream: net.Socket | tls.TLSSocket, secure: boolean): void {
    let buffer = '';
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('latin1');
      let eol: number;
      while ((eol = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        commands.push(line);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') {
          const ext = ['PIPELINING', 'SIZE 10240000', ...(offerTls && !secure ? ['STARTTLS'] : []), '8BITMIME'];
          stream.write(`250-${hostname} greets you\r\n${ext.map((e, i) => `250${i === ext.length - 1 ? ' ' : '-'}${e}\r\n`).join('')}`);
        } else if (verb === 'HELO') {
          stream.write(`250 ${hostname}\r\n`);
        } else if (verb === 'STARTTLS' && offerTls && !secure) {
          if (options.starttlsReply) {
            stream.write(`${options.starttlsReply}\r\n`);
            continue;
          }
          stream.write('220 2.0.0 Ready to start TLS\r\n');
          if (options.brokenTls) {
            stream.end('this is not a TLS ServerHello\r\n');
            return;
          }
          // RFC 3207 §4.2: discard anything pipelined after STARTTLS
          stream.off('data', onData);
          const tlsSocket = new tls.TLSSocket(stream as net.Socket, {
            isServer: true,
            ...(defaultContext ? { secureContext: defaultContext } : {}),
            SNICallback: (name, cb) => cb(null, contexts.get(name.toLowerCase()) ?? defaultContext),
          });
          tlsSocket.on('error', () => {});
          converse(tlsSocket, true);
          return;
        } else if (verb === 'QUIT') {
          stream.end('221 2.0.0 Bye\r\n');
          return;
        } else if (verb === 'NOOP' || verb === 'RSET') {
          stream.write('250 2.0.0 OK\r\n');
        } else {
          stream.write('502 5.5.2 Command not implemented\r\n');
        }
      }
    };
    stream.on('data', onData);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    get acceptedSockets() {
      return accepted;
    },
    commands,
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

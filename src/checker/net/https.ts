/**
 * `safeFetch`: one hardened HTTPS GET, for MTA-STS policies (RFC 8461 §3.3),
 * BIMI logos and VMCs. dns-perf.md §2 is the recipe:
 * - our resolver picks the address and the address policy judges that same
 *   address (no DNS-rebinding window); IP-literal URLs are judged too;
 * - `--connect-to` may rewrite the TCP destination afterwards, keeping the
 *   URL's host for SNI and the certificate check;
 * - full certificate verification, done by us before a single HTTP byte is
 *   sent, so a certificate failure is reported as such (stage `tls`, with the
 *   chain) and never confused with an unreachable host;
 * - redirects are never followed: "HTTP 3xx redirects MUST NOT be followed"
 *   (RFC 8461 §3.3) — the status and `location` are returned;
 * - the body is capped ("a suggested maximum policy size is 64 kilobytes",
 *   RFC 8461 §3.3) and "too large" is its own outcome;
 * - deadlines for connect (DNS + TCP + TLS), headers, body idle, and overall.
 *
 * A fresh undici Agent per call: one request, one connection, nothing shared.
 */
import tls from 'node:tls';
import net from 'node:net';
import { Agent, request } from 'undici';
import type { Resolver } from '../dns/types.ts';
import type { ConnectToRule } from './connect-to.ts';
import { connectTcp, destinationsFor, NetError, resolveAllowed, type NetStage } from './dial.ts';
import { isCertificateErrorCode, peerChain, secureContextFor, type CertSummary } from './tls-facts.ts';

export interface SafeFetchOptions {
  resolver: Resolver;
  allowPrivateNetworks: boolean;
  connectTo?: readonly ConnectToRule[];
  /** PEM trust anchors replacing the default roots (tests); production leaves this out (NODE_EXTRA_CA_CERTS still applies) */
  ca?: string | string[];
  /** body cap in bytes (RFC 8461 §3.3 suggests 64 KiB) */
  maxBytes?: number;
  /** overall deadline for the whole fetch */
  timeoutMs?: number;
  /** DNS + TCP + TLS; defaults to min(timeoutMs, 10 s) */
  connectTimeoutMs?: number;
  /** waiting for the response headers; defaults to timeoutMs */
  headersTimeoutMs?: number;
  /** longest silence between body chunks; defaults to timeoutMs */
  bodyTimeoutMs?: number;
  /** the caller's budget: when it aborts, safeFetch rejects with its reason (like Resolver.query) */
  signal?: AbortSignal;
  /** extra request headers (e.g. Accept) */
  headers?: Record<string, string>;
}

export interface FetchTls {
  /** the chain verified against the trust anchors and the host name */
  authorized: boolean;
  error?: string;
  protocol: string | null;
  cipher: string;
  /** leaf certificate */
  peerCertificate?: CertSummary;
  chain: CertSummary[];
}

export interface FetchResponse {
  kind: 'response';
  url: string;
  status: number;
  /** header names lower case; repeated headers joined with ", " */
  headers: Record<string, string>;
  /** media type without parameters, lower case ("text/plain"); empty when absent */
  contentType: string;
  /** the body decoded as UTF-8 (invalid sequences become U+FFFD) */
  body: string;
  bytes: number;
  /** for 3xx: where the server wanted to send us (never followed) */
  location?: string;
  /** the address our resolver returned and the policy allowed */
  address: string;
  /** where the TCP connection actually went (differs only under --connect-to) */
  connectedTo: string;
  tls: FetchTls;
}

export type FetchErrorStage = NetStage;

export interface FetchError {
  kind: 'error';
  url: string;
  stage: FetchErrorStage;
  /** stable code: NXDOMAIN, ADDRESS_REFUSED, ECONNREFUSED, CERT_HAS_EXPIRED, HEADERS_TIMEOUT, TOO_LARGE, … */
  code: string;
  message: string;
  /** stage `tls` only: the peer presented a certificate we do not accept (vs. no TLS at all) */
  certificateError?: boolean;
  /** the chain the peer sent, when the failure was about it */
  chain?: CertSummary[];
  address?: string;
}

export type FetchResult = FetchResponse | FetchError;

export const DEFAULT_MAX_BYTES = 65_536;
const DEFAULT_TIMEOUT_MS = 10_000;

interface ConnectionRecord {
  address: string;
  connectedTo: string;
  tls: FetchTls;
}

function fail(url: string, stage: NetStage, code: string, message: string, extra: Partial<FetchError> = {}): FetchError {
  return { kind: 'error', url, stage, code, message, ...extra };
}

function headerRecord(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Upgrade a TCP socket to verified TLS for `host`; the caller handles errors. */
function startTls(
  socket: net.Socket,
  host: string,
  ca: string | string[] | undefined,
  timeoutMs: number,
): Promise<{ socket: tls.TLSSocket; info: FetchTls }> {
  return new Promise((resolve, reject) => {
    const options: tls.ConnectionOptions = {
      socket,
      // no SNI for IP literals (RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted")
      ...(net.isIP(host) ? {} : { servername: host }),
      ALPNProtocols: ['http/1.1'],
      // we decide ourselves, below, so the chain can be reported on failure
      rejectUnauthorized: false,
      checkServerIdentity: (_name, cert) => tls.checkServerIdentity(host, cert),
      ...(ca ? { secureContext: secureContextFor(ca) } : {}),
    };
    const tlsSocket = tls.connect(options);
    const timer = setTimeout(() => {
      tlsSocket.destroy();
      reject(new NetError('timeout', 'TLS_TIMEOUT', `TLS handshake with ${host} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    tlsSocket.once('secureConnect', () => {
      clearTimeout(timer);
      // undici attaches its own error handler when it takes the socket; until
      // then (and after we destroy it) a late error must not crash the process
      tlsSocket.removeAllListeners('error');
      tlsSocket.on('error', () => {});
      const chain = peerChain(tlsSocket);
      const authError: unknown = tlsSocket.authorizationError;
      const code = authError == null ? undefined : typeof authError === 'string' ? authError : (authError as NodeJS.ErrnoException).code ?? String(authError);
      const info: FetchTls = {
        authorized: tlsSocket.authorized,
        protocol: tlsSocket.getProtocol(),
        cipher: tlsSocket.getCipher()?.standardName ?? tlsSocket.getCipher()?.name ?? '',
        chain,
        ...(chain[0] ? { peerCertificate: chain[0] } : {}),
        ...(code ? { error: code } : {}),
      };
      if (!tlsSocket.authorized) {
        tlsSocket.destroy();
        const errCode = code ?? 'CERT_UNTRUSTED';
        reject(new NetError('tls', errCode, `the certificate of ${host} was not accepted: ${errCode}`, { chain, certificateError: true }));
        return;
      }
      resolve({ socket: tlsSocket, info });
    });
    tlsSocket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      tlsSocket.destroy();
      const code = err.code ?? 'TLS_ERROR';
      reject(new NetError('tls', code, `TLS handshake with ${host} failed: ${err.message}`, { certificateError: isCertificateErrorCode(code) }));
    });
  });
}

/** Turn whatever request() threw into a FetchError. */
function classify(url: string, err: unknown, deadline: AbortSignal, address: string | undefined): FetchError {
  const extra: Partial<FetchError> = address ? { address } : {};
  if (err instanceof NetError) {
    const chain = err.details.chain as CertSummary[] | undefined;
    if (err.stage === 'tls') {
      extra.certificateError = err.details.certificateError === true;
      if (chain) extra.chain = chain;
    }
    return fail(url, err.stage, err.code, err.message, extra);
  }
  const e = err as { code?: string; name?: string; message?: string; cause?: unknown };
  if (e.cause instanceof NetError) return classify(url, e.cause, deadline, address);
  switch (e.code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
      return fail(url, 'timeout', 'HEADERS_TIMEOUT', 'the server did not send response headers in time', extra);
    case 'UND_ERR_BODY_TIMEOUT':
      return fail(url, 'timeout', 'BODY_TIMEOUT', 'the server stopped sending the body', extra);
    case 'UND_ERR_CONNECT_TIMEOUT':
      return fail(url, 'timeout', 'CONNECT_TIMEOUT', 'connecting timed out', extra);
    case 'UND_ERR_RES_EXCEEDED_MAX_SIZE':
      return fail(url, 'too_large', 'TOO_LARGE', 'the response body exceeds the size limit', extra);
  }
  if (deadline.aborted || e.name === 'AbortError' || e.name === 'TimeoutError') {
    return fail(url, 'timeout', 'DEADLINE', 'the fetch did not finish within its time budget', extra);
  }
  return fail(url, 'http', e.code ?? 'HTTP_ERROR', e.message ?? String(err), extra);
}

export async function safeFetch(url: string, options: SafeFetchOptions): Promise<FetchResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const connectTimeoutMs = options.connectTimeoutMs ?? Math.min(timeoutMs, 10_000);
  options.signal?.throwIfAborted();

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(url, 'http', 'INVALID_URL', `${url} is not a URL`);
  }
  if (parsed.protocol !== 'https:') {
    return fail(url, 'http', 'UNSUPPORTED_SCHEME', `only https: URLs are fetched, not ${parsed.protocol}`);
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const port = parsed.port ? Number(parsed.port) : 443;

  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const callerAborted = (): boolean => options.signal?.aborted === true;

  let record: ConnectionRecord | undefined;
  let triedAddress: string | undefined;
  let agent: Agent | undefined;
  try {
    const resolved = await resolveAllowed(options.resolver, host, { allowPrivateNetworks: options.allowPrivateNetworks, signal });
    const destinations = destinationsFor(resolved.host, resolved.allowed, port, options.connectTo ?? []);

    // undici's connector hook: we dial, verify, and hand it a ready TLS socket
    const connect = (_opts: unknown, callback: (...args: [null, tls.TLSSocket] | [Error, null]) => void): void => {
      const started = Date.now();
      const remaining = (): number => Math.max(1, connectTimeoutMs - (Date.now() - started));
      void (async () => {
        let lastError: unknown;
        for (const dest of destinations) {
          triedAddress = dest.address;
          let tcp: net.Socket;
          try {
            tcp = await connectTcp(dest, { resolver: options.resolver, timeoutMs: remaining(), signal });
          } catch (err) {
            lastError = err; // try the next address: the host may be reachable over another
            continue;
          }
          try {
            const { socket, info } = await startTls(tcp, resolved.host, options.ca, remaining());
            record = { address: dest.address, connectedTo: `${dest.host}:${dest.port}`, tls: info };
            callback(null, socket);
          } catch (err) {
            tcp.destroy();
            callback(err as Error, null); // a TLS verdict is about the host, not this address: stop
          }
          return;
        }
        callback((lastError as Error | undefined) ?? new NetError('connect', 'NO_ADDRESS', `no address to connect to for ${host}`), null);
      })();
    };

    agent = new Agent({
      connect,
      connections: 1,
      pipelining: 1,
      headersTimeout: options.headersTimeoutMs ?? timeoutMs,
      bodyTimeout: options.bodyTimeoutMs ?? timeoutMs,
      maxResponseSize: maxBytes,
    });

    // request() never follows redirects (redirects are an opt-in interceptor in undici ≥ 7)
    const response = await request(url, {
      method: 'GET',
      dispatcher: agent,
      signal,
      headers: { 'user-agent': 'Posture (email security checker)', ...options.headers },
    });
    const headers = headerRecord(response.headers);
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      response.body.destroy();
      return fail(url, 'too_large', 'TOO_LARGE', `the response declares ${declared} bytes; the limit is ${maxBytes}`, record ? { address: record.address } : {});
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of response.body) {
      const buf = chunk as Buffer;
      bytes += buf.length;
      if (bytes > maxBytes) {
        response.body.destroy();
        return fail(url, 'too_large', 'TOO_LARGE', `the response body exceeds ${maxBytes} bytes`, record ? { address: record.address } : {});
      }
      chunks.push(buf);
    }
    if (!record) throw new NetError('http', 'NO_CONNECTION', 'internal: response without a recorded connection');
    const result: FetchResponse = {
      kind: 'response',
      url,
      status: response.statusCode,
      headers,
      contentType: mediaType(headers['content-type']),
      body: new TextDecoder('utf-8').decode(Buffer.concat(chunks)),
      bytes,
      address: record.address,
      connectedTo: record.connectedTo,
      tls: record.tls,
    };
    if (response.statusCode >= 300 && response.statusCode < 400 && headers.location !== undefined) {
      result.location = headers.location;
    }
    return result;
  } catch (err) {
    if (callerAborted()) throw options.signal?.reason;
    return classify(url, err, deadline, record?.address ?? triedAddress);
  } finally {
    agent?.destroy().catch(() => {});
  }
}

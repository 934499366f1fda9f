/**
 * The STARTTLS probe (dns-perf.md §3): connect to one MX address on port 25,
 * read the greeting, EHLO, STARTTLS if offered (RFC 3207), complete a TLS
 * handshake without rejecting anything, record what was presented, QUIT.
 *
 * Certificate problems are *recorded*, not fatal: SMTP without MTA-STS or
 * DANE is opportunistic (RFC 7435 §1.3), so the handshake completes and the
 * checks judge the facts. "Port 25 unreachable from here" is its own state,
 * never "the MX has no TLS" (outbound port 25 is often filtered).
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Resolver } from '../dns/types.ts';
import { checkAddress } from './address-policy.ts';
import { mapDestination, type ConnectToRule } from './connect-to.ts';
import { connectTcp, NetError } from './dial.ts';
import { peerChain, secureContextFor, type CertSummary } from './tls-facts.ts';

export interface ProbeTimeouts {
  /** TCP connect */
  connectMs: number;
  /** the 220 greeting: generous, postscreen waits 6 s on purpose (postscreen_greet_wait) */
  bannerMs: number;
  /** each later command reply (EHLO, STARTTLS) */
  commandMs: number;
  /** the TLS handshake */
  tlsMs: number;
}

export const DEFAULT_PROBE_TIMEOUTS: ProbeTimeouts = {
  connectMs: 10_000,
  bannerMs: 10_000,
  commandMs: 5_000,
  tlsMs: 5_000,
};

export interface StartTlsProbeOptions {
  /** the MX host name: SNI and the certificate name check */
  host: string;
  /** the address our resolver returned for it: the policy judges this one */
  address: string;
  port?: number;
  allowPrivateNetworks: boolean;
  connectTo?: readonly ConnectToRule[];
  /** trust anchors for `authorized` (tests); default roots otherwise */
  ca?: string | string[];
  timeouts?: Partial<ProbeTimeouts>;
  /** the caller's budget; aborting rejects with its reason */
  signal?: AbortSignal;
  /** our name in EHLO (RFC 5321 §4.1.1.1: an FQDN, or an address literal) */
  heloName: string;
  /** only needed when a connect-to target is a host name */
  resolver?: Resolver;
}

export type ProbeStage = 'connect' | 'banner' | 'ehlo' | 'starttls' | 'tls';

export interface StartTlsFacts {
  /** "TLSv1.3", "TLSv1.2", … */
  protocol: string;
  cipher: { name: string; standardName: string; version: string };
  /** ephemeral key exchange, e.g. { type: 'ECDH', name: 'X25519', size: 253 } */
  ephemeralKey?: { type?: string; name?: string; size?: number };
  /** the chain verifies to a trusted root and is in its validity period (the name is judged apart) */
  authorized: boolean;
  /** OpenSSL's code when not authorized: CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, … */
  authorizationError?: string;
  /** the leaf certificate is valid for the MX host name (RFC 6125 via tls.checkServerIdentity) */
  hostnameMatches: boolean;
  hostnameError?: string;
  /** leaf first */
  chain: CertSummary[];
}

interface ProbeCommon {
  host: string;
  address: string;
  port: number;
  /** where the TCP connection went when --connect-to rewrote it */
  connectedTo?: string;
  durationMs: number;
  /** the greeting, lines joined with "\n" */
  banner?: string;
  /** EHLO reply lines after the first (the extensions) */
  ehloExtensions?: string[];
}

export type ProbeResult =
  | (ProbeCommon & { state: 'policy_refused'; reason: string; range: string })
  | (ProbeCommon & { state: 'unreachable'; stage: 'connect' | 'banner' | 'ehlo'; code: string; message: string; timedOut: boolean })
  | (ProbeCommon & { state: 'no_starttls' })
  | (ProbeCommon & { state: 'handshake_failed'; stage: 'starttls' | 'tls'; code: string; message: string; timedOut: boolean })
  | (ProbeCommon & { state: 'ok'; tls: StartTlsFacts });

interface Reply {
  code: number;
  lines: string[];
}

/** The longest reply we accept; RFC 5321 §4.5.3.1.5 allows 512 octets a line. */
const MAX_REPLY_BYTES = 64 * 1024;

class ProbeFailure extends Error {
  readonly code: string;
  readonly timedOut: boolean;
  constructor(code: string, message: string, timedOut = false) {
    super(message);
    this.code = code;
    this.timedOut = timedOut;
  }
}

/**
 * Reads complete SMTP replies: `250-…` lines continue, `250 …` ends
 * (RFC 5321 §4.2.1). Detaches itself before the TLS upgrade.
 */
class ReplyReader {
  private buffer = '';
  private waiter: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  private closed: Error | undefined;
  private readonly socket: net.Socket;
  private readonly onData = (chunk: Buffer): void => {
    this.buffer += chunk.toString('latin1');
    if (this.buffer.length > MAX_REPLY_BYTES) this.fail(new ProbeFailure('REPLY_TOO_LONG', 'the server sent an over-long reply'));
    else this.deliver();
  };
  private readonly onEnd = (): void => this.fail(new ProbeFailure('ECONNRESET', 'the server closed the connection'));
  private readonly onError = (err: NodeJS.ErrnoException): void => this.fail(new ProbeFailure(err.code ?? 'ESOCKET', err.message));

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  private parse(): Reply | undefined {
    const lines: string[] = [];
    let offset = 0;
    for (;;) {
      const eol = this.buffer.indexOf('\n', offset);
      if (eol < 0) return undefined;
      const line = this.buffer.slice(offset, eol).replace(/\r$/, '');
      offset = eol + 1;
      lines.push(line);
      if (!/^\d{3}-/.test(line)) {
        this.buffer = this.buffer.slice(offset);
        const code = /^\d{3}/.test(line) ? Number(line.slice(0, 3)) : 0;
        return { code, lines: lines.map((l) => l.slice(4)) };
      }
    }
  }

  private deliver(): void {
    if (!this.waiter) return;
    const reply = this.parse();
    if (!reply) return;
    const { resolve } = this.waiter;
    this.waiter = undefined;
    resolve(reply);
  }

  private fail(err: Error): void {
    this.closed ??= err;
    if (!this.waiter) return;
    const { reject } = this.waiter;
    this.waiter = undefined;
    reject(err);
  }

  read(timeoutMs: number, what: string): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new ProbeFailure('TIMEOUT', `no ${what} within ${timeoutMs} ms`, true));
      }, timeoutMs);
      this.waiter = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const ready = this.parse();
      if (ready) return this.waiter.resolve(ready);
      if (this.closed) this.fail(this.closed);
    });
  }

  /** Stop listening: the socket is about to carry TLS. */
  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
  }
}

function upgrade(socket: net.Socket, options: StartTlsProbeOptions, timeoutMs: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const tlsSocket = tls.connect({
      socket,
      // RFC 6066 §3: SNI carries host names only
      ...(net.isIP(options.host) ? {} : { servername: options.host }),
      rejectUnauthorized: false,
      // judge the name ourselves so `authorized` is about the chain alone
      checkServerIdentity: () => undefined,
      // accept what old servers offer, so we can report it (starttls.legacy_protocol)
      minVersion: 'TLSv1',
      ciphers: 'DEFAULT:@SECLEVEL=0',
      // with extra trust anchors, a shared context carrying the same settings
      ...(options.ca ? { secureContext: secureContextFor(options.ca, { minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }) } : {}),
    });
    const timer = setTimeout(() => {
      tlsSocket.destroy();
      reject(new ProbeFailure('TIMEOUT', `TLS handshake did not finish within ${timeoutMs} ms`, true));
    }, timeoutMs);
    tlsSocket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(tlsSocket);
    });
    tlsSocket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      tlsSocket.destroy();
      reject(new ProbeFailure(err.code ?? 'TLS_ERROR', err.message));
    });
  });
}

function factsOf(tlsSocket: tls.TLSSocket, host: string): StartTlsFacts {
  const cipher = tlsSocket.getCipher();
  const authError: unknown = tlsSocket.authorizationError;
  const peer = tlsSocket.getPeerCertificate();
  const nameError = peer && peer.raw ? tls.checkServerIdentity(host, peer) : new Error('no certificate');
  const eph = tlsSocket.getEphemeralKeyInfo();
  const facts: StartTlsFacts = {
    protocol: tlsSocket.getProtocol() ?? 'unknown',
    cipher: { name: cipher.name, standardName: cipher.standardName, version: cipher.version },
    authorized: tlsSocket.authorized,
    hostnameMatches: nameError === undefined,
    chain: peerChain(tlsSocket),
  };
  if (authError != null) facts.authorizationError = typeof authError === 'string' ? authError : (authError as NodeJS.ErrnoException).code ?? String(authError);
  if (nameError) facts.hostnameError = nameError.message;
  if (eph && typeof eph === 'object' && 'type' in eph) {
    const key: { type?: string; name?: string; size?: number } = {};
    if (eph.type) key.type = eph.type;
    if ('name' in eph && eph.name) key.name = eph.name;
    if (eph.size) key.size = eph.size;
    facts.ephemeralKey = key;
  }
  return facts;
}

/** Say goodbye politely, without letting a slow or rude server cost more than `ms`. */
async function quit(stream: net.Socket, reader: ReplyReader | undefined, ms: number): Promise<void> {
  try {
    if (stream.destroyed) return;
    stream.write('QUIT\r\n');
    if (reader) await reader.read(ms, 'QUIT reply').catch(() => {});
  } finally {
    stream.destroy();
  }
}

export async function probeStartTls(options: StartTlsProbeOptions): Promise<ProbeResult> {
  const started = Date.now();
  const port = options.port ?? 25;
  const timeouts = { ...DEFAULT_PROBE_TIMEOUTS, ...options.timeouts };
  const common = (): ProbeCommon => ({ host: options.host, address: options.address, port, durationMs: Date.now() - started });
  options.signal?.throwIfAborted();

  // 1. the policy judges the address our resolver returned, before any socket
  const verdict = checkAddress(options.address, options);
  if (!verdict.allowed) return { ...common(), state: 'policy_refused', reason: verdict.reason, range: verdict.range };

  // 2. --connect-to may move the TCP destination; SNI and the name check keep `host`
  const dest = mapDestination(options.connectTo ?? [], { host: options.host, address: options.address, port });
  const connectedTo = dest.rule ? { connectedTo: `${dest.host}:${dest.port}` } : {};
  const base = (): ProbeCommon => ({ ...common(), ...connectedTo });

  let socket: net.Socket;
  try {
    socket = await connectTcp(dest, { timeoutMs: timeouts.connectMs, ...(options.signal ? { signal: options.signal } : {}), ...(options.resolver ? { resolver: options.resolver } : {}) });
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason;
    const e = err instanceof NetError ? err : new NetError('connect', 'ECONNECT', String(err));
    return { ...base(), state: 'unreachable', stage: 'connect', code: e.code, message: e.message, timedOut: e.stage === 'timeout' };
  }

  let current: net.Socket = socket;
  const onAbort = (): void => {
    current.destroy();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const reader = new ReplyReader(socket);
  let stage: ProbeStage = 'banner';
  let banner: string | undefined;
  let ehloExtensions: string[] | undefined;
  const seen = (): Partial<ProbeCommon> => ({ ...(banner !== undefined ? { banner } : {}), ...(ehloExtensions ? { ehloExtensions } : {}) });
  try {
    // 3. greeting (RFC 5321 §4.3.1: 220, or 554 "no service")
    const greeting = await reader.read(timeouts.bannerMs, '220 greeting');
    banner = greeting.lines.join('\n');
    if (greeting.code !== 220) {
      await quit(socket, reader, 1000);
      return { ...base(), ...seen(), state: 'unreachable', stage: 'banner', code: `SMTP_${greeting.code}`, message: `the server greeted with ${greeting.code} instead of 220`, timedOut: false };
    }

    // 4. EHLO (RFC 5321 §4.1.1.1); its keywords say whether STARTTLS is offered (RFC 3207 §4)
    stage = 'ehlo';
    socket.write(`EHLO ${options.heloName}\r\n`);
    const ehlo = await reader.read(timeouts.commandMs, 'EHLO reply');
    ehloExtensions = ehlo.lines.slice(1);
    if (ehlo.code !== 250) {
      await quit(socket, reader, 1000);
      return { ...base(), ...seen(), state: 'no_starttls' };
    }
    if (!ehloExtensions.some((line) => /^STARTTLS\b/i.test(line))) {
      await quit(socket, reader, 1000);
      return { ...base(), ...seen(), state: 'no_starttls' };
    }

    // 5. STARTTLS: 220 means "go ahead" (RFC 3207 §4)
    stage = 'starttls';
    socket.write('STARTTLS\r\n');
    const ready = await reader.read(timeouts.commandMs, 'STARTTLS reply');
    if (ready.code !== 220) {
      await quit(socket, reader, 1000);
      return { ...base(), ...seen(), state: 'handshake_failed', stage: 'starttls', code: `SMTP_${ready.code}`, message: `STARTTLS was answered ${ready.code} ${ready.lines.join(' ')}`, timedOut: false };
    }

    // 6. the handshake; anything the server pipelined after 220 is discarded (RFC 3207 §4.2)
    stage = 'tls';
    reader.detach();
    socket.on('error', () => {}); // errors now surface through the TLS socket
    const tlsSocket = await upgrade(socket, options, timeouts.tlsMs);
    current = tlsSocket;
    const facts = factsOf(tlsSocket, options.host);
    await quit(tlsSocket, new ReplyReader(tlsSocket), 1000);
    return { ...base(), ...seen(), state: 'ok', tls: facts };
  } catch (err) {
    current.destroy();
    socket.destroy();
    if (options.signal?.aborted) throw options.signal.reason;
    const f = err instanceof ProbeFailure ? err : new ProbeFailure('ERROR', String(err));
    if (stage === 'starttls' || stage === 'tls') {
      return { ...base(), ...seen(), state: 'handshake_failed', stage, code: f.code, message: f.message, timedOut: f.timedOut };
    }
    return { ...base(), ...seen(), state: 'unreachable', stage, code: f.code, message: f.message, timedOut: f.timedOut };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

export interface ProbeCache {
  /**
   * Probe once per (MX host, address, port) for the cache's lifetime (a run);
   * concurrent callers share the one in-flight probe. The caller's signal only
   * stops that caller's wait, never the shared probe.
   */
  probe(options: StartTlsProbeOptions): Promise<ProbeResult>;
  /** probes actually started */
  readonly probesStarted: number;
  clear(): void;
}

/**
 * Keyed by host as well as address:port: with SNI one address can present a
 * different certificate per MX name. Fifty domains on one provider still share
 * one MX name and address, so they cost one probe. With a `pacer` (as
 * `createRunResources()` gives it) the probes go through that process-wide
 * pacer; without one (the default here) every new key connects.
 */
export function createProbeCache(options: { signal?: AbortSignal; pacer?: ProbePacer | null } = {}): ProbeCache {
  const pacer = options.pacer ?? null;
  const entries = new Map<string, Promise<ProbeResult>>();
  let started = 0;
  const keyOf = (o: StartTlsProbeOptions): string => `${o.host.toLowerCase().replace(/\.$/, '')}|${checkAddress(o.address, { allowPrivateNetworks: true }).address}|${o.port ?? 25}`;
  return {
    probe(probeOptions) {
      const key = keyOf(probeOptions);
      let entry = entries.get(key);
      if (!entry) {
        started++;
        const { signal: _callerSignal, ...shared } = probeOptions;
        const run = options.signal ? { ...shared, signal: options.signal } : shared;
        // through the process-wide pacer when given: other runs' recent results are reused
        entry = pacer ? pacer.probe(run) : probeStartTls(run);
        // a run-level abort is not a result: let a later run probe again
        entry.catch(() => entries.delete(key));
        entries.set(key, entry);
      }
      const callerSignal = probeOptions.signal;
      if (!callerSignal) return entry;
      callerSignal.throwIfAborted();
      return new Promise<ProbeResult>((resolve, reject) => {
        const onAbort = (): void => reject(callerSignal.reason);
        callerSignal.addEventListener('abort', onAbort, { once: true });
        entry.then(resolve, reject).finally(() => callerSignal.removeEventListener('abort', onAbort));
      });
    },
    get probesStarted() {
      return started;
    },
    clear() {
      entries.clear();
    },
  };
}

// ─── process-wide pacing ─────────────────────────────────────────────────────────────────────

export interface ProbePacerOptions {
  /** a result is reused for this long; connections to one destination are counted over it (default 60 s) */
  intervalMs?: number;
  /** connections to one destination (address:port after --connect-to) per interval, across MX names (default 8) */
  maxPerDestination?: number;
  /** probes in flight at once, process-wide (default 32); one destination never has more than one */
  maxConcurrent?: number;
  /** results kept at most (default 10,000; the oldest go first) */
  maxEntries?: number;
  /** milliseconds; injectable for tests */
  now?: () => number;
}

export const DEFAULT_PROBE_INTERVAL_MS = 60_000;
export const DEFAULT_PROBES_PER_DESTINATION = 8;
export const DEFAULT_MAX_CONCURRENT_PROBES = 32;

export interface ProbePacer {
  /**
   * Probe, or reuse the result of a probe of the same (MX host, address, destination) that
   * finished within the interval. One probe at a time per destination, `maxConcurrent` in all;
   * past `maxPerDestination` connections in the interval the answer is `unreachable` with code
   * `PACED` (the check says "could not be tested", never "no TLS"). `signal` stops this caller's
   * wait (and its own probe), never another caller's.
   */
  probe(options: StartTlsProbeOptions): Promise<ProbeResult>;
  /** TCP connections actually attempted */
  readonly connects: number;
  /** probes waiting for their destination or a global slot */
  readonly waiting: number;
  clear(): void;
}

/** A FIFO semaphore whose waiters can give up. */
function semaphore(limit: number) {
  let active = 0;
  const queue: Array<{ grant: () => void }> = [];
  const release = (): void => {
    const next = queue.shift();
    if (next) next.grant();
    else active--;
  };
  return {
    get queued() {
      return queue.length;
    },
    get idle() {
      return active === 0 && queue.length === 0;
    },
    acquire(signal?: AbortSignal): Promise<() => void> {
      signal?.throwIfAborted();
      if (active < limit) {
        active++;
        return Promise.resolve(once(release));
      }
      return new Promise((resolve, reject) => {
        const waiter = {
          grant: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve(once(release));
          },
        };
        const onAbort = (): void => {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
      });
    },
  };
}

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}

export function createProbePacer(options: ProbePacerOptions = {}): ProbePacer {
  const intervalMs = options.intervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
  const perDestination = Math.max(1, options.maxPerDestination ?? DEFAULT_PROBES_PER_DESTINATION);
  const maxEntries = Math.max(1, options.maxEntries ?? 10_000);
  const now = options.now ?? Date.now;
  const global = semaphore(Math.max(1, options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT_PROBES));
  /** (host, address, destination) → the last result and when it finished */
  const results = new Map<string, { at: number; result: ProbeResult }>();
  /** destination → its lock and the times of its recent connections */
  const destinations = new Map<string, { lock: ReturnType<typeof semaphore>; recent: number[] }>();
  let connects = 0;

  const fresh = (at: number): boolean => now() - at < intervalMs;
  const prune = (): void => {
    for (const [k, v] of results) if (!fresh(v.at)) results.delete(k);
    while (results.size > maxEntries) results.delete(results.keys().next().value!);
    for (const [k, d] of destinations) {
      d.recent = d.recent.filter(fresh);
      if (!d.recent.length && d.lock.idle) destinations.delete(k);
    }
  };

  return {
    async probe(probeOptions) {
      const port = probeOptions.port ?? 25;
      const verdict = checkAddress(probeOptions.address, probeOptions);
      // refused addresses open no socket: nothing to pace
      if (!verdict.allowed) return probeStartTls(probeOptions);
      const dest = mapDestination(probeOptions.connectTo ?? [], { host: probeOptions.host, address: probeOptions.address, port });
      const destKey = `${dest.host.toLowerCase()}|${dest.port}`;
      const key = `${probeOptions.host.toLowerCase().replace(/\.$/, '')}|${verdict.address}|${port}|${destKey}`;
      const hit = results.get(key);
      if (hit && fresh(hit.at)) return hit.result;

      let d = destinations.get(destKey);
      if (!d) {
        d = { lock: semaphore(1), recent: [] };
        destinations.set(destKey, d);
      }
      const signal = probeOptions.signal;
      const releaseDest = await d.lock.acquire(signal);
      try {
        // someone else may have probed it while we waited
        const again = results.get(key);
        if (again && fresh(again.at)) return again.result;
        d.recent = d.recent.filter(fresh);
        if (d.recent.length >= perDestination) {
          return {
            host: probeOptions.host,
            address: probeOptions.address,
            port,
            durationMs: 0,
            state: 'unreachable',
            stage: 'connect',
            code: 'PACED',
            message: `not probed: ${dest.host} port ${dest.port} was already probed ${d.recent.length} times in the last ${Math.round(intervalMs / 1000)} s (per-address probe pacing)`,
            timedOut: false,
          };
        }
        const releaseGlobal = await global.acquire(signal);
        try {
          d.recent.push(now());
          connects++;
          const result = await probeStartTls(probeOptions);
          results.delete(key);
          results.set(key, { at: now(), result });
          return result;
        } finally {
          releaseGlobal();
        }
      } finally {
        releaseDest();
        prune();
      }
    },
    get connects() {
      return connects;
    },
    get waiting() {
      let n = global.queued;
      for (const d of destinations.values()) n += d.lock.queued;
      return n;
    },
    clear() {
      // forget the results; the connection counts stay (they are the rate limit)
      results.clear();
    },
  };
}

/**
 * The process's pacer: every `createRunResources()` (each digest run, the chat checks of
 * `posture serve`, a CLI run) probes through it, so a long watch list or many channels cannot
 * make Posture connect to one mail server more than `maxPerDestination` times a minute.
 */
export const processProbePacer: ProbePacer = createProbePacer();

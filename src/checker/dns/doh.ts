/**
 * DNS-over-HTTPS (RFC 8484): the same wire format, POSTed as
 * application/dns-message through undici. For networks where UDP/53 is blocked.
 */
import { Agent, request } from 'undici';
import packet from 'dns-packet';
import type { DnsResponse, QueryOptions, RRType, Resolver } from './types.ts';
import { buildQuery, failureResponse, responseMatches, toDnsResponse } from './wire.ts';

export interface DohOptions {
  url: string;
  timeoutMs?: number;
  tries?: number;
  dnssecOk?: boolean;
}

const MAX_DNS_MESSAGE = 65_535;

export class DohResolver implements Resolver {
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly tries: number;
  private readonly dnssecOk: boolean;
  private readonly agent: Agent;
  sent = 0;

  constructor(options: DohOptions) {
    const u = new URL(options.url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`DoH URL must be https: ${options.url}`);
    this.url = options.url;
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.tries = options.tries ?? 2;
    this.dnssecOk = options.dnssecOk ?? true;
    // connections are kept alive and reused across queries (RFC 8484 §5.2 recommends HTTP/2; undici pipelines HTTP/1.1)
    this.agent = new Agent({ connections: 8, maxResponseSize: MAX_DNS_MESSAGE });
  }

  async query<T extends RRType>(name: string, type: T, options: QueryOptions = {}): Promise<DnsResponse<T>> {
    options.signal?.throwIfAborted();
    let last: DnsResponse<T> = failureResponse(name, type, 'timeout', 'no answer', this.url);
    for (let attempt = 0; attempt < this.tries; attempt++) {
      last = await this.once(name, type, options);
      if (last.outcome !== 'timeout' && last.outcome !== 'error') return last;
    }
    return last;
  }

  private async once<T extends RRType>(name: string, type: T, options: QueryOptions): Promise<DnsResponse<T>> {
    // RFC 8484 §4.1: the DNS ID SHOULD be 0 so responses are cache-friendly
    const msg = buildQuery(name, type, { id: 0, dnssecOk: this.dnssecOk, cd: options.cd ?? false });
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    this.sent++;
    try {
      const res = await request(this.url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { 'content-type': 'application/dns-message', accept: 'application/dns-message' },
        body: msg,
        signal,
      });
      const body = Buffer.from(await res.body.arrayBuffer());
      if (res.statusCode !== 200) return failureResponse(name, type, 'error', `DoH HTTP ${res.statusCode}`, this.url);
      const decoded = packet.decode(body);
      if (!responseMatches(decoded, 0, name, type)) return failureResponse(name, type, 'error', 'DoH answer does not match the question', this.url);
      return toDnsResponse(decoded, name, type, this.url);
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (timeout.aborted) return failureResponse(name, type, 'timeout', `no DoH answer within ${this.timeoutMs} ms`, this.url);
      return failureResponse(name, type, 'error', `DoH: ${(err as Error).message}`, this.url);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/**
 * One bulk run in a fresh process (so peak RSS and event-loop delay belong to
 * this run alone): check a list of domains against a world process with
 * bounded concurrency, one shared resolver cache and one `createRunResources()`
 * for the whole run, as a digest run does. Started by bulk.ts; receives a
 * `BulkRunConfig` and answers with a `BulkRunResult` over the IPC channel.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CachingResolver } from '../src/checker/dns/cache.ts';
import { createResolver } from '../src/checker/dns/index.ts';
import { StubResolver, parseServer } from '../src/checker/dns/stub.ts';
import { checkDomain } from '../src/checker/index.ts';
import { createRunResources } from '../src/checker/check.ts';
import { guardLoopback, refusedDestinations } from './lib/guard.ts';
import { SerialResolver } from './lib/serial-resolver.ts';
import { percentile } from './lib/stats.ts';
import { trustProcessWide } from './lib/trust.ts';
import type { WorldHandle } from './world/protocol.ts';
import { applyStubPatches, type StubPatches } from './lib/stub-patches.ts';

export interface BulkRunConfig {
  label: string;
  world: WorldHandle;
  domains: string[];
  concurrency: number;
  /** the sequential baseline: at most one DNS query in flight in the whole run */
  serialDns: boolean;
  smtp: boolean;
  /** domains checked first with throw-away caches (JIT warm-up), not timed */
  warmup: string[];
  /** per-domain budget (default: the checker's, 10 s) */
  timeoutMs?: number;
  /** bench/stub-experiment.ts only: proposed stub fixes applied at run time */
  stubPatches?: StubPatches;
}

export interface BulkRunResult {
  label: string;
  n: number;
  concurrency: number;
  serialDns: boolean;
  wallMs: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** lookups asked of the cache / sent upstream (unique questions) / wire sends */
  lookups: number;
  uniqueQueries: number;
  wireQueries: number;
  probes: number;
  /** process peak RSS (getrusage ru_maxrss), and RSS before the timed run */
  maxRssBytes: number;
  rssBeforeBytes: number;
  /** largest V8 heapUsed seen (sampled every 100 ms) */
  peakHeapBytes: number;
  /** event-loop delay beyond the 10 ms sampling interval */
  eldMs: { p50: number; p99: number; max: number };
  cpuUserMs: number;
  cpuSystemMs: number;
  grades: Record<string, number>;
  /** mean size of a report as JSON (every 10th report), bytes: what a caller keeping reports would hold */
  reportJsonBytes: number;
  /** checks that ran out of the per-domain budget */
  budgetTimeouts: number;
  /** dns.lookup_failed findings (the bulk world injects no failures: any is a timeout) */
  lookupFailures: number;
  refused: string[];
}

const ELD_RESOLUTION_MS = 10;

function makeResolver(config: BulkRunConfig): { resolver: CachingResolver; sent: () => number; close: () => Promise<void> } {
  if (!config.serialDns) {
    const run = createResolver({ servers: [config.world.resolver] });
    return { resolver: run.resolver, sent: run.sent, close: run.close };
  }
  const stub = new StubResolver({ servers: [parseServer(config.world.resolver)] });
  return { resolver: new CachingResolver(new SerialResolver(stub)), sent: () => stub.sent, close: async () => stub.close() };
}

async function mapBounded<T>(items: readonly T[], limit: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      await f(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export async function bulkRun(config: BulkRunConfig): Promise<BulkRunResult> {
  guardLoopback();
  trustProcessWide(config.world.caPem);
  if (config.stubPatches) applyStubPatches(config.stubPatches);
  const options = { smtp: config.smtp, connectTo: config.world.connectTo, ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}) };

  if (config.warmup.length) {
    const warm = makeResolver(config);
    const resources = createRunResources();
    await mapBounded(config.warmup, config.concurrency, async (d) => {
      await checkDomain(d, d, { resolver: warm.resolver, resources, options });
    });
    await warm.close();
  }

  const { resolver, sent, close } = makeResolver(config);
  const resources = createRunResources();
  const latencies: number[] = [];
  const grades: Record<string, number> = {};
  let budgetTimeouts = 0;
  let lookupFailures = 0;
  let jsonBytes = 0;
  let jsonSamples = 0;
  const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  const rssBeforeBytes = process.memoryUsage.rss();
  const cpu0 = process.cpuUsage();
  let peakHeapBytes = 0;
  const sampler = setInterval(() => {
    peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed);
  }, 100);
  eld.enable();
  const t0 = performance.now();
  // reports are summarised and dropped, as a digest run stores each and keeps only what it diffs
  await mapBounded(config.domains, config.concurrency, async (d) => {
    const s = performance.now();
    const r = await checkDomain(d, d, { resolver, resources, options });
    latencies.push(performance.now() - s);
    grades[r.grade] = (grades[r.grade] ?? 0) + 1;
    for (const c of r.checks) {
      if (c.evidence.error === 'timeout') budgetTimeouts++;
      lookupFailures += c.findings.filter((f) => f.code === 'dns.lookup_failed').length;
    }
    if (latencies.length % 10 === 0) {
      jsonBytes += JSON.stringify(r).length;
      jsonSamples++;
    }
  });
  const wallMs = performance.now() - t0;
  eld.disable();
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpu0);
  await close();

  const beyond = (ns: number): number => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);
  return {
    label: config.label,
    n: config.domains.length,
    concurrency: config.concurrency,
    serialDns: config.serialDns,
    wallMs,
    latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), max: Math.max(...latencies) },
    lookups: resolver.stats.lookups,
    uniqueQueries: resolver.stats.queries,
    wireQueries: sent(),
    probes: resources.probes.probesStarted,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    rssBeforeBytes,
    peakHeapBytes,
    eldMs: { p50: beyond(eld.percentile(50)), p99: beyond(eld.percentile(99)), max: beyond(eld.max) },
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    grades,
    reportJsonBytes: jsonSamples ? jsonBytes / jsonSamples : 0,
    budgetTimeouts,
    lookupFailures,
    refused: [...refusedDestinations()],
  };
}

/** Serve one run for the parent process: a config in, a result (or an error) out. */
export function serveParent(): void {
  if (!process.send) throw new Error('bulk-worker.ts runs as a child process (fork) of bench/bulk.ts');
  process.once('message', (raw) => {
    void bulkRun(raw as BulkRunConfig).then(
      (result) => process.send!({ type: 'result', result }, () => process.disconnect()),
      (err: unknown) => process.send!({ type: 'error', error: String((err as Error).stack ?? err) }, () => process.disconnect()),
    );
  });
}

if (import.meta.main) serveParent();

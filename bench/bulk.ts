/**
 * Bulk benchmark: N synthetic domains (bench/fixtures/bulk.ts) checked with
 * SMTP probing on, 20 ms injected DNS delay, at several concurrencies — and,
 * in the same run, the sequential baseline on a subset of the same world.
 *
 * Processes: the fixture world (DNS, SMTP, HTTPS servers) runs in a child
 * process; each measured run is a fresh worker process (bulk-worker.ts), so
 * peak RSS and event-loop delay are that run's own. On this 2-core machine the
 * world and the checker each get roughly one core, and the world's CPU time is
 * printed beside the checker's. Prints figures; asserts nothing.
 */
import { fork } from 'node:child_process';
import type { BulkRunConfig, BulkRunResult } from './bulk-worker.ts';
import { kindCounts } from './fixtures/bulk.ts';
import { guardLoopback } from './lib/guard.ts';
import { fmt, table } from './lib/stats.ts';
import { startWorldProcess, type RemoteWorld } from './world/remote.ts';
import type { WorldStats } from './world/protocol.ts';
import { udpRcvbufErrors } from './lib/udp-drops.ts';

export interface BulkBenchOptions {
  n: number;
  concurrencies: number[];
  delayMs: number;
  /** domains in the sequential-baseline comparison */
  subset: number;
  seed: number;
}

const DEFAULTS: BulkBenchOptions = { n: 2000, concurrencies: [50, 200], delayMs: 20, subset: 50, seed: 42 };

/** One measured run in a fresh worker process (`execArgv`: e.g. --cpu-prof for bench/profile.ts). */
export function runWorker(config: BulkRunConfig, execArgv: string[] = []): Promise<BulkRunResult> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./bulk-worker.ts', import.meta.url), [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    let outcome: { type: 'result'; result: BulkRunResult } | { type: 'error'; error: string } | undefined;
    child.on('message', (raw) => {
      outcome = raw as typeof outcome;
    });
    child.once('error', reject);
    // settle on exit, so that files the worker writes as it exits (a CPU profile) exist
    child.once('exit', (code) => {
      if (settled) return;
      settled = true;
      if (outcome?.type === 'result') resolve(outcome.result);
      else reject(new Error(outcome?.type === 'error' ? outcome.error : `bulk worker exited (${code}) without a result`));
    });
    child.send(config);
  });
}

interface Measured {
  result: BulkRunResult;
  world: { dnsQueries: number; cpuMs: number };
  /** kernel UDP receive-buffer drops during the run (all processes), when readable */
  udpDrops: number | undefined;
}

async function measure(world: RemoteWorld, config: Omit<BulkRunConfig, 'world'>): Promise<Measured> {
  const before: WorldStats = await world.stats();
  const drops0 = udpRcvbufErrors();
  const result = await runWorker({ ...config, world: { resolver: world.resolver, connectTo: world.connectTo, caPem: world.caPem } });
  const after = await world.stats();
  const drops1 = udpRcvbufErrors();
  return {
    result,
    udpDrops: drops0 !== undefined && drops1 !== undefined ? drops1 - drops0 : undefined,
    world: {
      dnsQueries: after.dns.queries - before.dns.queries,
      cpuMs: after.cpuUserMs + after.cpuSystemMs - before.cpuUserMs - before.cpuSystemMs,
    },
  };
}

const perDomain = (v: number, n: number) => fmt.n(v / n, 1);
const secs = (ms: number) => fmt.n(ms / 1000, 2);

export async function runBulkBench(options: Partial<BulkBenchOptions> = {}): Promise<void> {
  const o = { ...DEFAULTS, ...options };
  guardLoopback();
  const world = await startWorldProcess({ fixture: 'bulk', n: o.n, seed: o.seed });
  try {
    await world.setDelay(o.delayMs);
    const domains = world.domains.map((d) => d.domain);
    const warmup = domains.slice(0, 20);
    const counts = kindCounts(world.domains);

    const bulk: Measured[] = [];
    for (const c of o.concurrencies) {
      bulk.push(await measure(world, { label: `C=${c}`, domains, concurrency: c, serialDns: false, smtp: true, warmup }));
    }

    const subset = domains.slice(0, o.subset);
    const serial = await measure(world, { label: 'sequential DNS, 1 domain at a time', domains: subset, concurrency: 1, serialDns: true, smtp: true, warmup: warmup.slice(0, 5) });
    const oneAtATime = await measure(world, { label: 'parallel checker, 1 domain at a time', domains: subset, concurrency: 1, serialDns: false, smtp: true, warmup: warmup.slice(0, 5) });
    const allAtOnce = await measure(world, { label: `parallel checker, ${o.subset} at once`, domains: subset, concurrency: o.subset, serialDns: false, smtp: true, warmup: warmup.slice(0, 5) });
    const worldStats = await world.stats();

    console.log(`\n## Bulk: ${o.n} synthetic domains, SMTP on, ${o.delayMs} ms injected DNS delay`);
    console.log(
      `mix: ${counts.alpha} provider alpha, ${counts.bravo} provider bravo, ${counts.self} self-hosted, ${counts.parked} parked (null MX), ` +
        `${counts.broken} broken, ${counts.nomail} no mail; world process started in ${secs(world.startupMs)} s (pid ${world.pid}, peak RSS ${fmt.mib(worldStats.maxRssBytes)})`,
    );
    console.log('one resolver cache and one probe cache per run; each run in a fresh process; the world (DNS/SMTP/HTTPS) in its own process\n');
    console.log(table(
      ['C', 'domains', 'wall s', 'domains/s', 'p50 ms', 'p95 ms', 'max ms', 'budget timeouts', 'lookup failures'],
      bulk.map(({ result: r }) => [
        String(r.concurrency), String(r.n), secs(r.wallMs), fmt.n((r.n / r.wallMs) * 1000, 0),
        fmt.ms(r.latencyMs.p50), fmt.ms(r.latencyMs.p95), fmt.ms(r.latencyMs.max), String(r.budgetTimeouts), String(r.lookupFailures),
      ]),
    ));
    console.log('');
    console.log(table(
      ['C', 'DNS q/domain', 'wire q/domain', 'UDP drops', 'probes/domain', 'peak RSS', 'peak heap', 'ELD p99 ms', 'checker CPU ms/domain', 'world CPU s'],
      bulk.map(({ result: r, world: w, udpDrops }) => [
        String(r.concurrency), perDomain(r.uniqueQueries, r.n), perDomain(r.wireQueries, r.n), udpDrops === undefined ? 'n/a' : String(udpDrops),
        fmt.n(r.probes / r.n, 3), fmt.mib(r.maxRssBytes), fmt.mib(r.peakHeapBytes), fmt.n(r.eldMs.p99, 1),
        fmt.n((r.cpuUserMs + r.cpuSystemMs) / r.n, 2), secs(w.cpuMs),
      ]),
    ));
    for (const { result: r } of bulk) {
      console.log(`  C=${r.concurrency}: grades ${Object.entries(r.grades).sort().map(([g, k]) => `${g}:${k}`).join(' ')}; ` +
        `${fmt.n(r.lookups / r.n, 1)} lookups/domain asked of the cache, ${fmt.n((1 - r.uniqueQueries / r.lookups) * 100, 0)}% answered by it; ` +
        `RSS before the timed run ${fmt.mib(r.rssBeforeBytes)}; mean report ${fmt.n(r.reportJsonBytes / 1024, 1)} KiB as JSON; ` +
        `ELD p50 ${fmt.n(r.eldMs.p50, 1)} ms, max ${fmt.n(r.eldMs.max, 0)} ms` +
        (r.refused.length ? `; LOOPBACK GUARD REFUSED ${r.refused.length}: ${[...new Set(r.refused)].join(', ')}` : ''));
    }
    console.log('  DNS q = questions the shared cache sent upstream; wire q adds retries after a lost answer (2 s timeout) and TC→TCP;');
    console.log('  UDP drops = kernel receive-buffer overflows during the run (Linux RcvbufErrors, all processes); lookup failures =');
    console.log('  dns.lookup_failed findings (the bulk world injects none: each is an answer lost twice); ELD = event-loop delay');
    console.log('  beyond the 10 ms sampling interval; CPU = user + system time of the checker process.');

    console.log(`\n## Sequential baseline vs the parallel checker: the first ${o.subset} domains of the same world, same ${o.delayMs} ms delay, SMTP on`);
    console.log('sequential = every DNS query waits for the previous answer (one in flight, domains one after another), as checkdmarc does; same caches\n');
    const base = serial.result;
    const cmp = [serial, oneAtATime, allAtOnce].map(({ result: r, udpDrops }) => [
      r.label, String(r.n), secs(r.wallMs), fmt.n((r.n / r.wallMs) * 1000, 1), fmt.ms(r.latencyMs.p50), fmt.ms(r.latencyMs.p95), fmt.ms(r.latencyMs.max),
      perDomain(r.uniqueQueries, r.n), perDomain(r.wireQueries, r.n), udpDrops === undefined ? 'n/a' : String(udpDrops),
      fmt.n(r.probes / r.n, 2), `${fmt.n(base.wallMs / r.wallMs, 1)}×`,
    ]);
    console.log(table(['mode', 'domains', 'wall s', 'domains/s', 'p50 ms', 'p95 ms', 'max ms', 'DNS q/domain', 'wire q/domain', 'UDP drops', 'probes/domain', 'speed-up'], cmp, ['l']));
  } finally {
    await world.stop();
  }
}

if (import.meta.main) await runBulkBench();

/**
 * Round-trip depth benchmark: check fixture domains with injected DNS delay D
 * (20 and 50 ms). The slope of wall time against D is the number of sequential
 * round trips on the critical path; compare it with the theoretical depth.
 * Prints figures; asserts nothing (timings belong in benchmarks, not tests).
 */
import { startWorld } from '../test/world/index.ts';
import type { DnsFixture, NameSpec } from '../test/world/dns/zone.ts';
import { createResolver } from '../src/checker/dns/index.ts';
import { checkDomain } from '../src/checker/index.ts';

interface Scenario {
  domain: string;
  /** sequential DNS round trips on the ideal critical path */
  theory: number;
  why: string;
}

function spfChain(domain: string, depth: number): Record<string, NameSpec> {
  const names: Record<string, NameSpec> = {};
  let current = domain;
  for (let i = 1; i <= depth; i++) {
    const next = `spf${i}.${domain}`;
    names[current] = { ...(names[current] ?? {}), TXT: [`v=spf1 include:${next} -all`] };
    current = next;
  }
  names[current] = { ...(names[current] ?? {}), TXT: ['v=spf1 ip4:192.0.2.0/24 -all'] };
  return names;
}

function benchFixture(): { fixture: DnsFixture; scenarios: Scenario[] } {
  const names: Record<string, NameSpec> = {
    'mx.bench.test': { A: ['192.0.2.25'] },
    '25.2.0.192.in-addr.arpa': { PTR: ['mx.bench.test'] },
  };
  const scenarios: Scenario[] = [];
  for (let d = 0; d <= 5; d++) {
    const domain = `spf${d}.bench.test`;
    Object.assign(names, spfChain(domain, d));
    names[domain] = { ...names[domain], MX: [[10, 'mx.bench.test']] };
    names[`_dmarc.${domain}`] = { TXT: [`v=DMARC1; p=reject; rua=mailto:d@${domain}`] };
    // MX → A → PTR is 3 rounds (the forward confirmation of the PTR name is the A already cached); SPF is 1 + d
    scenarios.push({ domain, theory: Math.max(3, 1 + d), why: `SPF include depth ${d}; MX→A→PTR = 3` });
  }
  return { fixture: { names }, scenarios };
}

async function timeCheck(resolverAddress: string, domain: string): Promise<{ ms: number; queries: number }> {
  const run = createResolver({ servers: [resolverAddress], timeoutMs: 2000, tries: 1 });
  const t0 = performance.now();
  await checkDomain(domain, domain, { resolver: run.resolver, options: { smtp: false, timeoutMs: 30_000 } });
  const ms = performance.now() - t0;
  const queries = run.resolver.stats.queries;
  await run.close();
  return { ms, queries };
}

async function median(f: () => Promise<{ ms: number; queries: number }>, n = 5) {
  const runs = [];
  for (let i = 0; i < n; i++) runs.push(await f());
  runs.sort((a, b) => a.ms - b.ms);
  return runs[Math.floor(n / 2)]!;
}

export async function runDepthBench(): Promise<void> {
  const { fixture, scenarios } = benchFixture();
  const world = await startWorld({ dns: fixture });
  const delays = [20, 50] as const;
  console.log('\nRound-trip depth (full check, SMTP off; median of 5, fresh cache each run)');
  console.log('scenario                 t@20ms   t@50ms   measured depth   theory   unique queries');
  try {
    for (const s of scenarios) {
      const t: number[] = [];
      let queries = 0;
      for (const d of delays) {
        world.dns.setDelay(d);
        const m = await median(() => timeCheck(world.resolver, s.domain));
        t.push(m.ms);
        queries = m.queries;
      }
      const depth = (t[1]! - t[0]!) / (delays[1] - delays[0]);
      console.log(
        `${s.domain.padEnd(24)} ${t[0]!.toFixed(0).padStart(6)}   ${t[1]!.toFixed(0).padStart(6)}   ${depth.toFixed(2).padStart(14)}   ${String(s.theory).padStart(6)}   ${String(queries).padStart(14)}`,
      );
    }
  } finally {
    await world.stop();
  }
}

if (import.meta.main) await runDepthBench();

/**
 * Round-trip depth benchmark: check fixture domains with injected DNS delay D
 * (20 and 50 ms). The slope of wall time against D is the number of sequential
 * DNS round trips on the critical path (local work — TLS handshakes, parsing —
 * is the intercept); compare it with the theoretical depth of each scenario
 * (bench/fixtures/depth.ts says why). The same slope per check shows which
 * check sets the path, and which one adds a round the theory does not need.
 *
 * The world runs in this process (one domain at a time costs it little CPU);
 * its test CA is trusted process-wide, as NODE_EXTRA_CA_CERTS would (see
 * bench/lib/trust.ts). Prints figures; asserts nothing.
 */
import { startWorld, type World } from '../test/world/index.ts';
import { createResolver } from '../src/checker/dns/index.ts';
import { checkDomain } from '../src/checker/index.ts';
import { createRunResources } from '../src/checker/check.ts';
import type { CheckId } from '../src/checker/types.ts';
import { depthScenarios, depthWorldOptions, type DepthScenario } from './fixtures/depth.ts';
import { guardLoopback, refusedDestinations } from './lib/guard.ts';
import { slope, table, fmt } from './lib/stats.ts';
import { TIMED_CHECK_IDS, timedChecks, type CheckTimes } from './lib/timed-checks.ts';
import { trustProcessWide } from './lib/trust.ts';

export const DELAYS = [20, 50] as const;
const RUNS = 7;

interface Sample {
  ms: number;
  checks: CheckTimes;
  /** questions the caching resolver sent upstream (unique per run) */
  unique: number;
  /** datagrams and TCP queries on the wire (retries and TC→TCP included) */
  wire: number;
  probes: number;
  grade: string;
}

export async function checkOnce(world: Pick<World, 'resolver' | 'connectTo'>, s: DepthScenario): Promise<Sample> {
  const run = createResolver({ servers: [world.resolver], ...(s.tries ? { tries: s.tries } : {}) });
  const resources = createRunResources();
  const checks: CheckTimes = {};
  const t0 = performance.now();
  const report = await checkDomain(s.domain, s.domain, {
    resolver: run.resolver,
    resources,
    checks: timedChecks(checks),
    options: { smtp: s.smtp, timeoutMs: 30_000, connectTo: world.connectTo },
  });
  const ms = performance.now() - t0;
  const sample = { ms, checks, unique: run.resolver.stats.queries, wire: run.sent(), probes: resources.probes.probesStarted, grade: report.grade };
  await run.close();
  return sample;
}

interface Measured {
  scenario: DepthScenario;
  wall: number[];
  depth: number;
  perCheck: Partial<Record<CheckId, number>>;
  last: Sample;
}

/**
 * The fastest of the runs: the critical path is a floor, and noise on a shared
 * 2-core machine (other processes, GC) only ever adds to it, so the minimum
 * estimates it better than the median when the machine is busy.
 */
function fastest(samples: Sample[], f: (s: Sample) => number | undefined): number {
  return Math.min(...samples.map(f).filter((v): v is number => v !== undefined));
}

export async function measureDepth(world: World, s: DepthScenario): Promise<Measured> {
  const byDelay: Sample[][] = [];
  for (const d of DELAYS) {
    world.dns.setDelay(d);
    await checkOnce(world, s); // warm-up: JIT, TLS session setup paths
    const samples: Sample[] = [];
    for (let i = 0; i < RUNS; i++) samples.push(await checkOnce(world, s));
    byDelay.push(samples);
  }
  world.dns.setDelay(0);
  const [lo, hi] = [byDelay[0]!, byDelay[1]!];
  const wall = [fastest(lo, (x) => x.ms), fastest(hi, (x) => x.ms)];
  const perCheck: Partial<Record<CheckId, number>> = {};
  for (const id of TIMED_CHECK_IDS) {
    perCheck[id] = slope(DELAYS[0], fastest(lo, (x) => x.checks[id]), DELAYS[1], fastest(hi, (x) => x.checks[id]));
  }
  return { scenario: s, wall, depth: slope(DELAYS[0], wall[0]!, DELAYS[1], wall[1]!), perCheck, last: hi.at(-1)! };
}

const SHORT: Partial<Record<CheckId, string>> = { mta_sts: 'mta-sts', tls_rpt: 'tls-rpt' };

export async function runDepthBench(): Promise<Measured[]> {
  guardLoopback();
  const world = await startWorld(depthWorldOptions());
  trustProcessWide(world.ca.certPem);
  const results: Measured[] = [];
  try {
    for (const s of depthScenarios()) results.push(await measureDepth(world, s));
  } finally {
    await world.stop();
  }

  console.log(`\n## Round-trip depth (fixture world in-process; fastest of ${RUNS} runs per delay, fresh resolver cache and probe cache per run)`);
  console.log('depth = (t@50 − t@20) / 30 ms; "unique" = questions sent upstream by the caching resolver, "wire" = datagrams + TCP queries incl. retries\n');
  const rows = results.map((r) => {
    const over = r.depth > r.scenario.theory + 0.5;
    return [
      r.scenario.label, r.scenario.domain, fmt.ms(r.wall[0]!), fmt.ms(r.wall[1]!), fmt.n(r.depth, 2), String(r.scenario.theory),
      over ? 'OVER' : 'ok', String(r.last.unique), String(r.last.wire), String(r.last.probes), r.last.grade,
    ];
  });
  console.log(table(['scenario', 'domain', 't@20 ms', 't@50 ms', 'measured', 'theory', '≤ theory+0.5', 'unique q', 'wire q', 'probes', 'grade'], rows, ['l', 'l']));
  for (const r of results) console.log(`  ${r.scenario.domain.padEnd(20)} theory ${r.scenario.theory}: ${r.scenario.why}`);

  console.log('\nPer-check depth (slope of each check\'s own duration; * = above the scenario\'s theory + 0.5)\n');
  const checkRows = results.map((r) => [
    r.scenario.label,
    ...TIMED_CHECK_IDS.map((id) => {
      const v = r.perCheck[id] ?? Number.NaN;
      return `${fmt.n(v, 1)}${v > r.scenario.theory + 0.5 ? '*' : ' '}`;
    }),
  ]);
  console.log(table(['scenario', ...TIMED_CHECK_IDS.map((id) => SHORT[id] ?? id)], checkRows));
  if (refusedDestinations().length) console.log(`loopback guard refused: ${refusedDestinations().join(', ')}`);
  return results;
}

if (import.meta.main) await runDepthBench();

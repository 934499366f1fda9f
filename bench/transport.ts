/**
 * The TLS paths of a full check (MTA-STS policy fetch, STARTTLS on every MX
 * address, DANE) for the demo's best domain, acme.test, at 20 and 50 ms of
 * injected DNS delay, with the test CA trusted two ways:
 *
 * - `options.extraCa` (what the test suite and `posture demo` pass): the
 *   checker trusts every default root + the test CA through one
 *   SecureContext per distinct extraCa list (until 78b2977 each connection
 *   built its own);
 * - process-wide (what NODE_EXTRA_CA_CERTS gives a deployment): every
 *   connection reuses Node's cached default context.
 *
 * The slope is the number of DNS round trips on the critical path; the
 * intercept is local work (TLS handshakes on loopback, certificate parsing).
 * Prints figures; asserts nothing.
 */
import { startWorld } from '../test/world/index.ts';
import { demoWorldOptions } from '../test/world/demo.ts';
import { createResolver } from '../src/checker/dns/index.ts';
import { checkDomain } from '../src/checker/index.ts';
import { createRunResources } from '../src/checker/check.ts';
import { guardLoopback } from './lib/guard.ts';
import { fmt, slope, table } from './lib/stats.ts';
import { extraCaContextCostMs, trustProcessWide } from './lib/trust.ts';

const DELAYS = [20, 50] as const;
const RUNS = 7;

export async function runTransportBench(): Promise<void> {
  guardLoopback();
  const world = await startWorld(demoWorldOptions());
  const rows: string[][] = [];
  try {
    const extraCa = [world.ca.certPem];
    const modes = [
      { name: 'options.extraCa', options: { extraCa } },
      { name: 'process-wide CA', options: {} },
    ];
    trustProcessWide(world.ca.certPem);
    for (const mode of modes) {
      const times: number[] = [];
      let probes = 0;
      let queries = 0;
      let grade = '';
      for (const d of DELAYS) {
        world.dns.setDelay(d);
        const runs: number[] = [];
        for (let i = 0; i <= RUNS; i++) {
          const run = createResolver({ servers: [world.resolver] });
          const resources = createRunResources();
          const t0 = performance.now();
          const report = await checkDomain('acme.test', 'acme.test', {
            resolver: run.resolver,
            resources,
            options: { timeoutMs: 30_000, connectTo: world.connectTo, ...mode.options },
          });
          if (i > 0) runs.push(performance.now() - t0); // the first run warms up
          probes = resources.probes.probesStarted;
          queries = run.resolver.stats.queries;
          grade = report.grade;
          await run.close();
        }
        times.push(Math.min(...runs)); // the floor: noise only adds (see depth.ts)
      }
      const depth = slope(DELAYS[0], times[0]!, DELAYS[1], times[1]!);
      rows.push([mode.name, fmt.ms(times[0]!), fmt.ms(times[1]!), fmt.n(depth, 2), fmt.ms(times[1]! - depth * DELAYS[1]), String(queries), String(probes), grade]);
    }
    world.dns.setDelay(0);
    console.log(`\n## TLS paths: full check of acme.test, SMTP on (MTA-STS fetch, STARTTLS on 4 MX addresses, DANE); fastest of ${RUNS} runs`);
    console.log('intercept = t@50 − slope × 50 ms: local work on the critical path\n');
    console.log(table(['CA trust', 't@20 ms', 't@50 ms', 'slope (rounds)', 'intercept ms', 'unique q', 'probes', 'grade'], rows));
    console.log(`\none client SecureContext built the options.extraCa way costs ${fmt.n(extraCaContextCostMs(world.ca.certPem), 1)} ms of CPU here ` +
      '(every default root parsed again); the checker now builds it once per distinct extraCa list (it used to be once per TLS connection); ' +
      'ideal: max(3 rounds MX→A→PTR, 2 rounds + probe, 1 round + fetch).');
  } finally {
    await world.stop();
  }
}

if (import.meta.main) await runTransportBench();

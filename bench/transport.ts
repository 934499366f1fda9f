/**
 * A full check (SMTP on) of the demo's best domain, acme.test, at 20 and 50 ms
 * injected DNS delay: the slope is the number of sequential DNS round trips on
 * the critical path. The ideal: MX → A/AAAA → PTR is 3 rounds; MX → A → STARTTLS
 * and TXT ∥ A → TLS → GET need 2 and 1 rounds plus loopback TCP/TLS time.
 */
import { startWorld } from '../test/world/index.ts';
import { installLoopbackGuard } from '../test/world/loopback-guard.ts';
import { demoWorldOptions } from '../test/world/demo.ts';
import { createResolver } from '../src/checker/dns/index.ts';
import { checkDomain } from '../src/checker/index.ts';
import { createRunResources } from '../src/checker/check.ts';

export async function runTransportBench(): Promise<void> {
  installLoopbackGuard();
  const world = await startWorld(demoWorldOptions());
  const delays = [20, 50] as const;
  const times: number[] = [];
  console.log('\nFull check of acme.test (MX, SPF, DKIM, DMARC, MTA-STS fetch, TLS-RPT, DNSSEC, DANE, STARTTLS on every MX address)');
  console.log('delay   wall (median of 5)   unique DNS queries   STARTTLS probes');
  try {
    for (const d of delays) {
      world.dns.setDelay(d);
      const runs: { ms: number; queries: number; probes: number }[] = [];
      for (let i = 0; i < 5; i++) {
        const run = createResolver({ servers: [world.resolver], timeoutMs: 2000, tries: 1 });
        const resources = createRunResources();
        const t0 = performance.now();
        const report = await checkDomain('acme.test', 'acme.test', {
          resolver: run.resolver,
          resources,
          options: { timeoutMs: 30_000, connectTo: world.connectTo, extraCa: [world.ca.certPem] },
        });
        runs.push({ ms: performance.now() - t0, queries: run.resolver.stats.queries, probes: resources.probes.probesStarted });
        if (report.grade !== 'A') console.log(`  (unexpected grade ${report.grade})`);
        await run.close();
      }
      runs.sort((a, b) => a.ms - b.ms);
      const m = runs[2]!;
      times.push(m.ms);
      console.log(`${String(d).padStart(3)} ms   ${m.ms.toFixed(0).padStart(12)} ms   ${String(m.queries).padStart(18)}   ${String(m.probes).padStart(15)}`);
    }
    const depth = (times[1]! - times[0]!) / (delays[1] - delays[0]);
    const fixed = times[1]! - depth * delays[1];
    console.log(
      `slope: ${depth.toFixed(2)} DNS round trips on the critical path, plus ${fixed.toFixed(0)} ms of local work (TLS handshakes, probes).\n` +
        'ideal: max(3 rounds (MX → A → PTR), 2 rounds + the STARTTLS probe (MX → A → TCP/EHLO/TLS), 1 round + the policy fetch (TXT ∥ A → TLS → GET)):\n' +
        'a slope between 2 and 3 means nothing waits for what it does not need; the probe path dominates while local TLS work exceeds one round trip.',
    );
  } finally {
    await world.stop();
  }
}

if (import.meta.main) await runTransportBench();

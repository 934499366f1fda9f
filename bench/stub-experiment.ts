/**
 * Evidence for two stub-resolver problems (docs/performance.md, "Problems
 * found"): the bulk world at C=50 and C=200, as shipped and with the proposed
 * fixes applied at run time (bench/lib/stub-patches.ts). Not part of
 * `npm run bench`; run `node bench/stub-experiment.ts [domains]`. Prints figures.
 */
import { runWorker } from './bulk.ts';
import { guardLoopback } from './lib/guard.ts';
import { fmt, table } from './lib/stats.ts';
import type { StubPatches } from './lib/stub-patches.ts';
import { udpRcvbufErrors } from './lib/udp-drops.ts';
import { startWorldProcess } from './world/remote.ts';

guardLoopback();
const n = Number(process.argv[2] ?? 2000);
const variants: Array<{ name: string; patches: StubPatches }> = [
  { name: 'as shipped', patches: {} },
  { name: '4 MiB receive buffers', patches: { udpRecvBufferBytes: 4 << 20 } },
  { name: '4 MiB buffers + fresh ID on collision', patches: { udpRecvBufferBytes: 4 << 20, freshIdOnCollision: true } },
];
const world = await startWorldProcess({ fixture: 'bulk', n, seed: 42 });
const rows: string[][] = [];
try {
  await world.setDelay(20);
  const domains = world.domains.map((d) => d.domain);
  for (const concurrency of [50, 200]) {
    for (const v of variants) {
      const before = udpRcvbufErrors();
      const r = await runWorker({
        label: v.name, world: { resolver: world.resolver, connectTo: world.connectTo, caPem: world.caPem },
        domains, concurrency, serialDns: false, smtp: true, warmup: domains.slice(0, 20), stubPatches: v.patches,
      });
      const after = udpRcvbufErrors();
      rows.push([
        String(concurrency), v.name, fmt.n(r.wallMs / 1000, 1), fmt.n((r.n / r.wallMs) * 1000, 0), fmt.ms(r.latencyMs.p50), fmt.ms(r.latencyMs.p95),
        before !== undefined && after !== undefined ? String(after - before) : 'n/a', String(r.wireQueries - r.uniqueQueries), String(r.lookupFailures),
        fmt.n((r.cpuUserMs + r.cpuSystemMs) / r.n, 2),
      ]);
    }
  }
} finally {
  await world.stop();
}
console.log(`\n## Stub resolver under bulk load: ${n} domains, SMTP on, 20 ms delay (world in its own process, 4 MiB buffer there)\n`);
console.log(table(['C', 'stub', 'wall s', 'domains/s', 'p50 ms', 'p95 ms', 'UDP drops', 'wire − unique q', 'lookup failures', 'CPU ms/domain'], rows, ['r', 'l']));
console.log('\nwire − unique q: queries sent again (after a 2 s timeout) or over TCP; lookup failures: dns.lookup_failed findings.');

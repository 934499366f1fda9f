/**
 * `npm run bench`: every benchmark, figures printed, nothing asserted
 * (docs/performance.md explains the method and what the figures mean).
 * Only loopback: every process installs the fixture world's loopback guard.
 */
import os from 'node:os';
import { runDepthBench } from './depth.ts';
import { runTransportBench } from './transport.ts';
import { runBulkBench } from './bulk.ts';
import { runBotLoadBench } from './bot-load.ts';
import { guardLoopback } from './lib/guard.ts';

guardLoopback();
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const started = performance.now();
console.log(`# Posture benchmarks — Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`);
console.log(`load average before: ${load()} (other processes on the machine compete for the same cores)`);

await runDepthBench();
await runTransportBench();
await runBulkBench();
await runBotLoadBench();

console.log(`\nload average after: ${load()}; all benchmarks took ${((performance.now() - started) / 1000).toFixed(0)} s`);

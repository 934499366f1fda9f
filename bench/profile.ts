/**
 * Where the checker's CPU goes in a bulk run: one C=50 run of the bulk world
 * (bench/fixtures/bulk.ts) in a worker started with --cpu-prof, then the
 * profile attributed to our modules. Not part of `npm run bench`; run it as
 * `node bench/profile.ts [domains] [concurrency]` (POSTURE_PROFILE_DIR=<dir> keeps
 * the profile). Prints figures only.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWorker } from './bulk.ts';
import { attributeProfile } from './lib/cpu-profile.ts';
import { guardLoopback } from './lib/guard.ts';
import { fmt, table } from './lib/stats.ts';
import { startWorldProcess } from './world/remote.ts';

guardLoopback();
const n = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 50);
// POSTURE_PROFILE_DIR=<dir> keeps the .cpuprofile there (open it in Chrome DevTools); otherwise a temporary directory
const keep = process.env['POSTURE_PROFILE_DIR'];
const dir = keep ?? mkdtempSync(join(tmpdir(), 'posture-prof-'));
const world = await startWorldProcess({ fixture: 'bulk', n, seed: 42 });
try {
  await world.setDelay(20);
  const domains = world.domains.map((d) => d.domain);
  const result = await runWorker(
    { label: 'profile', world: { resolver: world.resolver, connectTo: world.connectTo, caPem: world.caPem }, domains, concurrency, serialDns: false, smtp: true, warmup: domains.slice(0, 20) },
    ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  );
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('the worker wrote no CPU profile');
  const root = fileURLToPath(new URL('..', import.meta.url));
  const { total, buckets } = attributeProfile(join(dir, file), root);
  const busy = total - (buckets.find(([b]) => b === '(idle)')?.[1] ?? 0);
  console.log(`\n## CPU profile of a bulk run: ${n} domains, C=${concurrency}, SMTP on, 20 ms delay`);
  console.log(`${fmt.n(result.wallMs / 1000, 1)} s wall, ${fmt.n((result.n / result.wallMs) * 1000, 0)} domains/s; ` +
    `${fmt.n(busy / 1000, 1)} s busy in the profile (${fmt.n(busy / result.n, 2)} ms per domain), warm-up included\n`);
  console.log(table(['where', 'ms', '% of busy', 'ms/domain'], buckets.filter(([b]) => b !== '(idle)').map(([b, ms]) => [
    b, fmt.ms(ms), fmt.n((ms / busy) * 100, 1), fmt.n(ms / result.n, 3),
  ])));
} finally {
  await world.stop();
  if (!keep) rmSync(dir, { recursive: true, force: true });
  else console.log(`profile kept in ${dir}`);
}

/**
 * Attribute a V8 CPU profile (`--cpu-prof`) to the project's modules: each
 * sample goes to the nearest frame on its stack that belongs to our code
 * (src/checker/checks/<check>, src/checker/dns/<file>, …); library frames are
 * charged to their caller; samples with no such frame are Node internals
 * (I/O callbacks, TLS, timers), GC or idle.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function bucketOf(url: string, root: string): string | null {
  const i = url.indexOf(root);
  if (i < 0) return null;
  const file = url.slice(i + root.length);
  if (file.startsWith('node_modules/')) return null;
  const parts = file.split('/');
  if (file.startsWith('src/checker/checks/')) return `check ${parts[3]!.replace(/\.ts$/, '')}`;
  if (file.startsWith('src/checker/dns/')) return 'dns client (src/checker/dns)';
  if (file.startsWith('src/checker/net/')) return `net ${parts[3]!.replace(/\.ts$/, '')}`;
  if (file.startsWith('src/checker/plan/') || file === 'src/checker/grade.ts') return 'grade + fix plan';
  return file;
}

/** Milliseconds per bucket, largest first, and the profile's total. */
export function attributeProfile(path: string, root: string): { total: number; buckets: Array<[string, number]> } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const cache = new Map<number, string>();
  const totals = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    let bucket = cache.get(id);
    if (bucket === undefined) {
      const leaf = byId.get(id)!.callFrame.functionName;
      if (leaf === '(idle)' || leaf === '(garbage collector)' || leaf === '(program)') bucket = leaf;
      for (let cur: number | undefined = id; bucket === undefined && cur !== undefined; cur = parent.get(cur)) {
        bucket = bucketOf(byId.get(cur)!.callFrame.url, root) ?? undefined;
      }
      bucket ??= 'node internals (I/O, TLS, timers)';
      cache.set(id, bucket);
    }
    totals.set(bucket, (totals.get(bucket) ?? 0) + dt);
  });
  return { total, buckets: [...totals].sort((a, b) => b[1] - a[1]) };
}

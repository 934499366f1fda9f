/**
 * Forgiving topic lookup: "MTA-STS", "mta sts", "mtasts", "what is mta-sts?", "strict transport",
 * "explain spf.too_many_lookups", "SPF_TOO_MANY_LOOKUPS" all land on a topic; when nothing does,
 * "did you mean" suggestions come from edit distance over ids and aliases.
 */
import { TOPICS } from './catalog.ts';
import type { Topic } from './types.ts';

/** Words people put around a topic ("what is …?", "explain …"), stripped from the query's ends. */
const LEADING = [
  'posture', 'explain', 'what is', 'what are', 'what s', 'whats', 'what does', 'what do', 'tell me about',
  'tell me', 'define', 'describe', 'help with', 'help', 'about', 'how does', 'how do', 'why', 'is', 'the', 'an', 'a', 'my',
];
const TRAILING = ['mean', 'means', 'please', 'work', 'works', 'do', 'does', 'mean for me'];

/** Lower case, NFKC, punctuation and underscores to single spaces; "+all"/"~all"/"?all" spelt out. */
export function normalizeQuery(s: string): string {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/(^|[\s"'`])\+all\b/g, '$1 plus all')
    .replace(/(^|[\s"'`])~all\b/g, '$1 tilde all')
    .replace(/(^|[\s"'`])\?all\b/g, '$1 question mark all')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Strip filler words ("what is", "explain", a trailing "mean") from a normalised query. */
export function stripFillers(n: string): string {
  let s = n;
  for (let changed = true; changed; ) {
    changed = false;
    for (const w of LEADING) {
      if (s.startsWith(`${w} `)) {
        s = s.slice(w.length + 1);
        changed = true;
      }
    }
    for (const w of TRAILING) {
      if (s.endsWith(` ${w}`)) {
        s = s.slice(0, -(w.length + 1));
        changed = true;
      }
    }
  }
  return s;
}

const compact = (n: string): string => n.replaceAll(' ', '');

export type KeySource = 'id' | 'alias' | 'title';

export interface LookupKey {
  /** normalised form */
  key: string;
  id: string;
  source: KeySource;
}

function keysOf(t: Topic): LookupKey[] {
  const out: LookupKey[] = [{ key: normalizeQuery(t.id), id: t.id, source: 'id' }];
  if (t.code) out.push({ key: normalizeQuery(t.code), id: t.id, source: 'id' });
  for (const a of t.aliases) out.push({ key: normalizeQuery(a), id: t.id, source: 'alias' });
  out.push({ key: normalizeQuery(t.title), id: t.id, source: 'title' });
  return out.filter((k) => k.key.length > 0);
}

/** Every lookup key, ids first, then aliases, then titles (earlier wins on a clash). */
export function lookupKeys(): LookupKey[] {
  const all = TOPICS.flatMap(keysOf);
  const rank: Record<KeySource, number> = { id: 0, alias: 1, title: 2 };
  return all.sort((a, b) => rank[a.source] - rank[b.source]);
}

const KEYS = lookupKeys();
const BY_KEY = new Map<string, Topic>();
const BY_COMPACT = new Map<string, Topic>();
const TOPIC_BY_ID = new Map(TOPICS.map((t) => [t.id, t]));
for (const k of KEYS) {
  const t = TOPIC_BY_ID.get(k.id)!;
  if (!BY_KEY.has(k.key)) BY_KEY.set(k.key, t);
  if (!BY_COMPACT.has(compact(k.key))) BY_COMPACT.set(compact(k.key), t);
}
const TOPIC_ORDER = new Map(TOPICS.map((t, i) => [t.id, i]));

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions: "dmrac" → "dmarc" is 1). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  if (m === 0) return n;
  if (n === 0) return m;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => {
    const row = new Array<number>(n + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= n; j++) d[0]![j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[m]![n]!;
}

/** Topics whose keys appear as whole words in the query, keeping only the longest overlapping matches. */
function containedTopics(n: string): Topic[] {
  if (!n) return [];
  const padded = ` ${n} `;
  const hits = [...new Set(KEYS.map((k) => k.key).filter((k) => padded.includes(` ${k} `)))];
  const maximal = hits.filter((k) => !hits.some((other) => other !== k && ` ${other} `.includes(` ${k} `)));
  return [...new Set(maximal.map((k) => BY_KEY.get(k)!))];
}

function variants(query: string): string[] {
  const n0 = normalizeQuery(query);
  const n1 = stripFillers(n0);
  return [...new Set([n0, n1])].filter((v) => v.length > 0);
}

export type Resolution = { topic: Topic } | { topic?: undefined; suggestions: string[] };

/** Look a query up; on a miss, up to `limit` suggested topic ids (best first). */
export function resolveTopic(query: string, limit = 5): Resolution {
  const vs = variants(query);
  for (const v of vs) {
    const t = BY_KEY.get(v);
    if (t) return { topic: t };
  }
  for (const v of vs) {
    const t = BY_COMPACT.get(compact(v));
    if (t) return { topic: t };
  }
  const stripped = vs[vs.length - 1] ?? '';
  const near = nearMisses(stripped);
  const contained = containedTopics(stripped);
  // "dane record" names one topic; but "spf too many lookup" is a near miss of a finding code,
  // which beats the "spf" it contains: then we suggest rather than guess.
  const only = contained.length === 1 ? contained[0]! : undefined;
  if (only && [...near.keys()].every((id) => id === only.id)) return { topic: only };
  for (const t of contained) if (!near.has(t.id)) near.set(t.id, 20);
  return { suggestions: ranked(near, limit) };
}

/** The topic a query means, or undefined. */
export function findTopic(query: string): Topic | undefined {
  return resolveTopic(query).topic;
}

/** Allowed edit distance for a key of this length (spaces not counted). */
function tolerance(len: number): number {
  return len <= 4 ? 1 : len <= 12 ? 2 : 3;
}

/** Topics whose keys are within typo distance of the query (score = distance), or start with it (score 10). */
function nearMisses(n: string): Map<string, number> {
  const best = new Map<string, number>();
  if (!n) return best;
  const note = (id: string, score: number) => {
    const prev = best.get(id);
    if (prev === undefined || score < prev) best.set(id, score);
  };
  const nc = compact(n);
  for (const k of KEYS) {
    const kc = compact(k.key);
    const d = Math.min(editDistance(n, k.key), editDistance(nc, kc));
    if (d <= tolerance(kc.length)) note(k.id, d);
    else if (nc.length >= 3 && kc.startsWith(nc)) note(k.id, 10); // "mta_sts.policy" → every mta_sts.policy_* code
  }
  return best;
}

function ranked(scores: Map<string, number>, limit: number): string[] {
  return [...scores.entries()]
    .sort((a, b) => a[1] - b[1] || TOPIC_ORDER.get(a[0])! - TOPIC_ORDER.get(b[0])!)
    .slice(0, limit)
    .map(([id]) => id);
}

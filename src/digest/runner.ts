/**
 * Running one digest (DESIGN `src/digest/`): claim the period → check every watched domain with
 * bounded concurrency over one shared DNS cache → diff against the previous run → save the
 * reports → build the digest → record the delivery intent → post through the platform's port →
 * record the outcome.
 *
 * Decisions:
 * - **Nothing watched**: the run is skipped with the reason {@link NO_DOMAINS_REASON} and nothing
 *   is posted (a weekly "nothing to report" note is noise; `digest now` answers the user with the
 *   reason instead).
 * - **Previous run** ("the change since last week"): the domain's latest check made before the
 *   channel's previous weekly digest was posted (found through last week's period key), so that
 *   daily alert checks, another channel's digest or a `digest now` in between neither hide nor
 *   repeat the week's change. Without a delivered digest last week (the first digest, `digest
 *   now`), the latest check at least {@link WEEKLY_PREVIOUS_MIN_AGE_MS} (6½ days) old serves;
 *   when no check is that old, the earliest check of the last eight weeks. The store keeps one
 *   full report per domain (the latest); when that is the previous run the diff gets its DMARC
 *   policy and MTA-STS mode (`toCompactRun`) and can name "DMARC moved from none to reject";
 *   older runs come from the compact history (finding codes, grade, score).
 * - Regression alerts compare with the latest check before this one (no minimum age).
 * - A check that throws becomes a "could not be checked" entry; a report the store refuses is
 *   still shown, only not kept.
 */
import { createHash } from 'node:crypto';
import { checkDomain } from '../checker/index.ts';
import { createRunResources, type CheckOptions, type RunResources } from '../checker/check.ts';
import { createResolver, type ResolverSettings } from '../checker/dns/index.ts';
import type { CachingResolver } from '../checker/dns/cache.ts';
import type { Report } from '../checker/types.ts';
import type { ChannelRef, DigestClaim, DigestRun, HistoryEntry, Store } from '../store/types.ts';
import { realClock, type Clock } from './clock.ts';
import { deliverWithRetry, toPayload, type ChannelPacer, type DeliveryOutcome, type DeliveryPort, type MessageKind, type RetryPolicy } from './delivery.ts';
import { diffReports, toCompactRun, type CompactRun } from './diff.ts';
import { buildDigest, type Digest, type DigestBudget, type DigestDomainInput } from './model.ts';
import { previousWeekKey } from './schedule.ts';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** Weeks of compact history handed to the digest (the sparkline's width). */
export const HISTORY_WEEKS = 8;
/** Without last week's delivered digest, a digest's previous run is at least this old (see the module comment). */
export const WEEKLY_PREVIOUS_MIN_AGE_MS = 6.5 * DAY_MS;
export const DEFAULT_CONCURRENCY = 8;
export const NO_DOMAINS_REASON = 'the channel watches no domains';

/** Check one normalised domain. */
export type CheckFn = (domain: string) => Promise<Report>;

// ─── the default checker: one shared DNS cache and one probe cache per run ─────────────────

export interface CheckerSettings {
  /** where DNS goes (`--resolver`, `--doh`); default the system's resolvers */
  resolver?: ResolverSettings;
  /** checker options (`smtp`, `connectTo`, `timeoutMs`…) */
  options?: Partial<CheckOptions>;
  /** stamps `checkedAt` (tests pass the manual clock) */
  now?: () => Date;
}

export interface Checker {
  check: CheckFn;
  /** the cache every check of the run shares */
  resolver: CachingResolver;
  resources: RunResources;
  close(): Promise<void>;
}

/**
 * A checker for one run: `createResolver` (one CachingResolver with in-flight de-duplication)
 * and one `createRunResources()` shared by every domain, so fifty domains on one provider cost
 * one lookup of its SPF include and one STARTTLS probe.
 */
export function createChecker(settings: CheckerSettings = {}): Checker {
  const run = createResolver(settings.resolver ?? {});
  const resources = createRunResources();
  return {
    resolver: run.resolver,
    resources,
    check: (domain) =>
      checkDomain(domain, domain, {
        resolver: run.resolver,
        resources,
        ...(settings.options ? { options: settings.options } : {}),
        ...(settings.now ? { now: settings.now } : {}),
      }),
    close: () => run.close(),
  };
}

/** A {@link createChecker} made on the first check only (a tick with nothing due opens no socket). */
export function lazyChecker(settings: CheckerSettings): { check: CheckFn; close: () => Promise<void> } {
  let checker: Checker | null = null;
  return {
    check: (domain) => {
      checker ??= createChecker(settings);
      return checker.check(domain);
    },
    close: async () => {
      const c = checker;
      checker = null;
      if (c) await c.close();
    },
  };
}

/** One check per domain however many callers ask (channels that watch the same domain in one tick). */
export function memoizeCheck(check: CheckFn): CheckFn {
  const seen = new Map<string, Promise<Report>>();
  return (domain) => {
    let p = seen.get(domain);
    if (!p) {
      p = check(domain);
      seen.set(domain, p);
    }
    return p;
  };
}

/** Run `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

// ─── previous runs and history ──────────────────────────────────────────────────────────────

export function historyToRun(row: HistoryEntry): CompactRun {
  return { checkedAt: row.checkedAt.toISOString(), grade: row.grade, score: row.score, codes: [...row.codes], ...(row.facts ?? {}) };
}

/**
 * Look up a domain's previous run: its latest check made before `cutoff`; when there is none and
 * `cutoff` is before `asOf`, the earliest check of the {@link HISTORY_WEEKS}-week window before
 * `asOf` (what changed since the domain was first checked).
 */
export type PreviousLookup = (domain: string, cutoff: Date, asOf: Date) => Promise<CompactRun | null>;

/** The store-backed lookup (see {@link PreviousLookup} and the module comment). */
export async function previousRun(store: Store, domain: string, cutoff: Date, asOf: Date): Promise<CompactRun | null> {
  const bound = Math.min(cutoff.getTime(), asOf.getTime());
  const since = new Date(asOf.getTime() - HISTORY_WEEKS * WEEK_MS);
  const latest = await store.latestReport(domain);
  const latestAt = latest ? Date.parse(latest.checkedAt) : NaN;
  if (latest && latestAt < bound) return toCompactRun(latest);
  // the full report when the row is the latest one: its DMARC policy and MTA-STS mode come along
  const rich = (row: HistoryEntry): CompactRun =>
    latest && row.checkedAt.getTime() === latestAt ? toCompactRun(latest) : historyToRun(row);
  if (bound > since.getTime()) {
    const older = await store.history(domain, since, new Date(bound));
    const last = older.at(-1);
    if (last) return rich(last);
  }
  if (bound < asOf.getTime()) {
    const recent = await store.history(domain, since, asOf);
    const first = recent[0];
    if (first) return rich(first);
  }
  return null;
}

/** A lookup that answers each (domain, cutoff, asOf) once: ask it before saving the domain's new report. */
export function memoizePrevious(store: Store): PreviousLookup {
  const seen = new Map<string, Promise<CompactRun | null>>();
  return (domain, cutoff, asOf) => {
    const key = `${domain}|${cutoff.getTime()}|${asOf.getTime()}`;
    let p = seen.get(key);
    if (!p) {
      p = previousRun(store, domain, cutoff, asOf);
      seen.set(key, p);
    }
    return p;
  };
}

/**
 * Where a digest's previous runs end: just after the channel's digest of the week before was
 * made (its first delivery intent; the checks were saved before it), when that digest was
 * delivered; otherwise {@link WEEKLY_PREVIOUS_MIN_AGE_MS} before `asOf`.
 */
export async function digestCutoff(store: Store, channel: ChannelRef, periodKey: string, asOf: Date): Promise<Date> {
  const prevKey = previousWeekKey(periodKey);
  if (prevKey) {
    const prev = await store.getDigestRun(channel, prevKey);
    if (prev?.status === 'delivered') {
      const first = (await store.deliveries(prev.id))[0];
      if (first && first.intentAt.getTime() < asOf.getTime()) return new Date(first.intentAt.getTime() + 1);
    }
  }
  return new Date(asOf.getTime() - WEEKLY_PREVIOUS_MIN_AGE_MS);
}

async function historyRuns(store: Store, domain: string, asOf: Date): Promise<CompactRun[]> {
  const rows = await store.history(domain, new Date(asOf.getTime() - HISTORY_WEEKS * WEEK_MS), asOf);
  return rows.map(historyToRun);
}

// ─── runs ───────────────────────────────────────────────────────────────────────────────────

/** Runs and deliveries this process is working on (reconciliation leaves them alone). */
export class InFlight {
  readonly runs = new Set<string>();
  readonly deliveries = new Set<string>();
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;
const noLog: Log = () => undefined;

export interface RunDeps {
  store: Store;
  /** the channel's platform's port */
  port: DeliveryPort;
  clock?: Clock;
  /** injected check; default: a {@link createChecker} per run from `checker` settings */
  check?: CheckFn;
  checker?: CheckerSettings;
  /** domains checked at once (default 8) */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  pacer?: ChannelPacer;
  /** previous-run lookup (the scheduler shares a memoized one per tick) */
  previous?: PreviousLookup;
  /** the time the run stands for (previous runs and history are counted back from it); default now */
  asOf?: Date;
  budget?: DigestBudget;
  inFlight?: InFlight;
  log?: Log;
  signal?: AbortSignal;
}

export interface RunDigestOptions extends RunDeps {
  channel: ChannelRef;
  /** "2026-W49" for the weekly digest; see {@link runNow} for on-demand keys */
  periodKey: string;
}

export type RunStatus = DeliveryOutcome['status'] | 'skipped' | 'already-claimed';

export interface RunOutcome {
  /**
   * delivered · failed (permanently: schedule disabled) · retry (not posted; a later tick
   * retries) · unknown (may be posted; reconciliation settles it) · skipped (nothing posted, with
   * a reason) · already-claimed (another run has this period)
   */
  status: RunStatus;
  /** the message is known to be in the channel */
  posted: boolean;
  periodKey: string;
  reason?: string;
  runId?: string;
  deliveryId?: string;
  messageId?: string;
  retryAt?: Date;
  attempts?: number;
  digest?: Digest;
}

interface Resolved {
  store: Store;
  port: DeliveryPort;
  clock: Clock;
  check: CheckFn;
  close: () => Promise<void>;
  concurrency: number;
  previous: PreviousLookup;
  inFlight: InFlight;
  log: Log;
  deps: RunDeps;
}

function resolve(deps: RunDeps): Resolved {
  const clock = deps.clock ?? realClock;
  let check = deps.check;
  let close = async (): Promise<void> => undefined;
  if (!check) {
    const checker = lazyChecker({ ...deps.checker, now: deps.checker?.now ?? (() => clock.now()) });
    check = checker.check;
    close = checker.close;
  }
  const store = deps.store;
  return {
    store,
    port: deps.port,
    clock,
    check,
    close,
    concurrency: Math.max(1, Math.floor(deps.concurrency ?? DEFAULT_CONCURRENCY)),
    previous: deps.previous ?? ((domain, cutoff, asOf) => previousRun(store, domain, cutoff, asOf)),
    inFlight: deps.inFlight ?? new InFlight(),
    log: deps.log ?? noLog,
    deps,
  };
}

function checkPort(port: DeliveryPort, channel: ChannelRef): void {
  if (port.platform !== channel.platform) {
    throw new Error(`the ${port.platform} delivery port cannot post to a ${channel.platform} channel`);
  }
}

interface DomainRun {
  input: DigestDomainInput;
  current: Report | null;
  previous: CompactRun | null;
}

/** Check every domain (bounded), look up each previous run *before* saving its new report, save. */
async function checkAll(r: Resolved, domains: string[], asOf: Date, cutoff: Date): Promise<DomainRun[]> {
  const currents = await mapBounded(domains, r.concurrency, async (domain) => {
    try {
      return await r.check(domain);
    } catch (err) {
      if (r.deps.signal?.aborted) throw err;
      r.log('warn', 'check failed', { domain, error: (err as Error).message });
      return null;
    }
  });
  const out: DomainRun[] = [];
  for (const [i, domain] of domains.entries()) {
    const current = currents[i] ?? null;
    const previous = await r.previous(domain, cutoff, asOf);
    const history = await historyRuns(r.store, domain, asOf);
    if (current) {
      try {
        await r.store.saveReport(current);
      } catch (err) {
        r.log('error', 'report not saved', { domain, error: (err as Error).message });
      }
    }
    out.push({ input: { domain, current, previous, history }, current, previous });
  }
  return out;
}

async function post(r: Resolved, runId: string, channel: ChannelRef, kind: MessageKind, digest: Digest, periodKey: string): Promise<RunOutcome> {
  const delivery = await r.store.recordDeliveryIntent(runId, toPayload(kind, digest));
  r.inFlight.deliveries.add(delivery.id);
  let outcome: DeliveryOutcome;
  try {
    outcome = await deliverWithRetry({
      store: r.store, port: r.port, clock: r.clock, delivery, kind, digest,
      ...(r.deps.retry ? { policy: r.deps.retry } : {}),
      ...(r.deps.pacer ? { pacer: r.deps.pacer } : {}),
      ...(r.deps.signal ? { signal: r.deps.signal } : {}),
    });
  } catch (err) {
    // e.g. the store failed right after the post: the crash window, settled by reconciliation
    outcome = { status: 'unknown', reason: `not recorded: ${(err as Error).message}`, attempts: 1 };
  } finally {
    r.inFlight.deliveries.delete(delivery.id);
  }
  const base = { periodKey, runId, deliveryId: delivery.id, digest, attempts: outcome.attempts };
  switch (outcome.status) {
    case 'delivered':
      return { ...base, status: 'delivered', posted: true, messageId: outcome.messageId };
    case 'failed':
      return { ...base, status: 'failed', posted: false, reason: outcome.reason };
    case 'retry':
      return { ...base, status: 'retry', posted: false, reason: outcome.reason, retryAt: outcome.retryAt };
    case 'unknown':
      return { ...base, status: 'unknown', posted: false, reason: outcome.reason };
  }
}

async function executeRun(r: Resolved, claim: Pick<DigestClaim, 'runId' | 'channel' | 'periodKey'>, kind: MessageKind): Promise<RunOutcome> {
  const { runId, channel, periodKey } = claim;
  r.inFlight.runs.add(runId);
  try {
    const watched = await r.store.watchList(channel);
    if (watched.length === 0) {
      await r.store.skipRun(runId, NO_DOMAINS_REASON);
      return { status: 'skipped', posted: false, periodKey, runId, reason: NO_DOMAINS_REASON };
    }
    const asOf = r.deps.asOf ?? r.clock.now();
    const cutoff = await digestCutoff(r.store, channel, periodKey, asOf);
    const runs = await checkAll(r, watched.map((w) => w.domain), asOf, cutoff);
    const digest = buildDigest({
      channel: channel.channelId,
      periodKey,
      generatedAt: r.clock.now().toISOString(),
      domains: runs.map((d) => d.input),
      ...(r.deps.budget ? { budget: r.deps.budget } : {}),
    });
    return await post(r, runId, channel, kind, digest, periodKey);
  } finally {
    r.inFlight.runs.delete(runId);
  }
}

/**
 * Run a channel's digest for a period, once: a period another run has claimed returns
 * `already-claimed` without doing anything.
 */
export async function runDigest(options: RunDigestOptions): Promise<RunOutcome> {
  checkPort(options.port, options.channel);
  const r = resolve(options);
  try {
    const claim = await r.store.claimDigest(options.channel, options.periodKey);
    if (!claim) return { status: 'already-claimed', posted: false, periodKey: options.periodKey, reason: `the ${options.periodKey} digest was already claimed` };
    return await executeRun(r, claim, 'digest');
  } finally {
    await r.close();
  }
}

/** The period key of an on-demand digest: never a weekly key, so it never takes the week's claim. */
export function nowPeriodKey(at: Date): string {
  return `now:${at.toISOString()}`;
}

/** `/posture digest now`: the channel's digest at once, under a `now:<timestamp>` period key. */
export async function runNow(options: RunDeps & { channel: ChannelRef }): Promise<RunOutcome> {
  const clock = options.clock ?? realClock;
  return runDigest({ ...options, periodKey: nowPeriodKey(clock.now()) });
}

/**
 * Finish a run that was claimed but recorded no delivery intent (the process died while
 * checking): nothing was posted, so it is safe to run it again under the same claim.
 */
export async function resumeRun(options: RunDeps & { run: Pick<DigestRun, 'id' | 'channel' | 'periodKey'> }): Promise<RunOutcome> {
  checkPort(options.port, options.run.channel);
  const r = resolve(options);
  try {
    return await executeRun(r, { runId: options.run.id, channel: options.run.channel, periodKey: options.run.periodKey }, 'digest');
  } finally {
    await r.close();
  }
}

// ─── regression alerts ─────────────────────────────────────────────────────────────────────

/** The once-only key of a domain's alert on a (local) date: "alert:example.com:2026-11-30". */
export function alertPeriodKey(domain: string, dateKey: string): string {
  const key = `alert:${domain}:${dateKey}`;
  if (key.length <= 200) return key;
  return `alert:${createHash('sha256').update(domain).digest('hex').slice(0, 32)}:${dateKey}`;
}

export interface AlertOutcome {
  domain: string;
  outcome: RunOutcome;
}

/**
 * The daily regression pass of a channel ("alert on regression"): check every watched domain,
 * compare with its latest earlier check, and post one alert per regressed domain, at most once
 * per domain and date (`claimDigest(channel, "alert:<domain>:<date>")`).
 */
export async function runAlerts(options: RunDeps & { channel: ChannelRef; dateKey: string; scoreThreshold?: number }): Promise<AlertOutcome[]> {
  checkPort(options.port, options.channel);
  const r = resolve(options);
  try {
    const watched = await r.store.watchList(options.channel);
    if (watched.length === 0) return [];
    const asOf = r.deps.asOf ?? r.clock.now();
    const runs = await checkAll(r, watched.map((w) => w.domain), asOf, asOf);
    const out: AlertOutcome[] = [];
    for (const run of runs) {
      const { current, previous } = run;
      if (!current || !previous) continue;
      const diff = diffReports(previous, current, options.scoreThreshold !== undefined ? { scoreThreshold: options.scoreThreshold } : {});
      if (diff.direction !== 'regressed') continue;
      const key = alertPeriodKey(run.input.domain, options.dateKey);
      const claim = await r.store.claimDigest(options.channel, key);
      if (!claim) continue; // alerted already today
      r.inFlight.runs.add(claim.runId);
      try {
        const built = buildDigest({
          channel: options.channel.channelId,
          periodKey: key,
          generatedAt: r.clock.now().toISOString(),
          domains: [run.input],
          ...(options.scoreThreshold !== undefined ? { scoreThreshold: options.scoreThreshold } : {}),
          ...(r.deps.budget ? { budget: r.deps.budget } : {}),
        });
        const entry = built.entries[0];
        const digest: Digest = {
          ...built,
          title: `Posture alert: ${run.input.domain} regressed`,
          headline: entry ? entry.line : built.headline,
        };
        out.push({ domain: run.input.domain, outcome: await post(r, claim.runId, options.channel, 'alert', digest, key) });
      } finally {
        r.inFlight.runs.delete(claim.runId);
      }
    }
    return out;
  } finally {
    await r.close();
  }
}

/**
 * Digest scheduling and checking on pg-boss (DESIGN `src/digest/`, `src/store/`: with PostgreSQL,
 * several Posture instances share the work through an existing Postgres job engine). This module
 * replaces the single-process `Scheduler` loop when the store is PostgreSQL; the rules stay where
 * they are (`runner.ts`, `schedule.ts`, `delivery.ts`) and are called from job handlers.
 *
 * Queues (pg-boss, in a schema of their own):
 * - `posture-tick` — a cron schedule every minute (pg-boss sends one job per minute across all
 *   instances). The handler plans unplanned schedules, records long-missed slots as skipped,
 *   enqueues one `posture-digest` job per due channel with
 *   `singletonKey = <platform>:<workspace>:<channel>:<periodKey>` (policy `exclusive`: one job per
 *   key queued or active, so two ticks or two instances enqueueing the same period make one job),
 *   then plans the channel's next slot; and enqueues the daily regression-alert pass of channels
 *   that want it (`posture-alerts`, a deterministic job id per channel and date: once a day).
 * - `posture-digest` — `runDigest` (the store's `claimDigest` stays the final guard). Bounded per
 *   instance (`digestConcurrency` jobs at once × `concurrency` domains per job). A job that finds
 *   its period already claimed is a retry of a job whose worker died: pg-boss hands a job to one
 *   worker at a time, so the job is the lease on the run. A run still `claimed` (no intent) is run
 *   again under the same claim (`resumeRun`); a run `delivering` has its pending deliveries settled
 *   (the platform is asked with `findDelivered`, then posted if absent).
 * - `posture-deliver` — posting again a delivery that was refused (retry at the platform's
 *   Retry-After / backoff, as a deferred job) or whose outcome is unknown.
 * - `posture-reconcile` — every minute: the backstop for runs and deliveries no job owns any more
 *   (jobs that exhausted their retries, `digest now` and alert runs of a dead instance): pending
 *   deliveries older than `pendingAfterMs` become `posture-deliver` jobs, runs claimed longer than
 *   `stallAfterMs` ago without an intent become `posture-digest` jobs (or are skipped, as the
 *   Scheduler does) — unless a live job owns them.
 * - `posture-prune` — daily retention.
 *
 * Crash recovery. Digest and delivery jobs carry a heartbeat (`heartbeatSeconds`): a live worker
 * refreshes it while it works, however long the run takes; when an instance dies (SIGKILL), its
 * jobs' heartbeats lapse and the supervisor of any instance puts them back to `retry`, and another
 * worker takes them. `expireInSeconds` is only an upper bound on a run. A worker that lost its job
 * (heartbeat lapsed while it was stalled) sees the job's signal aborted; its delivery port then
 * refuses to post (a DeliveryError: known not posted), so the new owner is the only one posting.
 *
 * Exactly once per channel and period = one claim per period (store) + intent recorded before the
 * post + the job as the lease for recovery + `findDelivered` to settle an intent whose outcome is
 * unknown. Without `findDelivered`, an unknown outcome is presumed posted (at most once), as in
 * `scheduler.ts`; a delivery known not posted (refused) is posted again.
 *
 * Pacing. Per process: one post per `channelIntervalMs` to a channel and one per
 * `workspaceIntervalMs` to a workspace. Across instances: `workspaceConcurrency` bounds the digest
 * and delivery jobs of one workspace running at once over all instances (pg-boss group
 * concurrency, tracked in the database). A strict cross-instance rate (posts per second per
 * workspace) would need a shared token bucket (e.g. a row per workspace with its next free slot,
 * taken with `UPDATE … RETURNING`), which pg-boss does not offer.
 *
 * The chat path stays in-process: slash commands never go through a queue; `runNow` (`digest
 * now`) runs at once in the calling instance. The bulk work is bounded per instance, and an
 * instance can be started with `work: false` to enqueue without running jobs (a chat-only node).
 */
import { createHash } from 'node:crypto';
import { PgBoss, type ConstructorOptions, type Job, type SendOptions } from 'pg-boss';
import type { ChannelRef, Delivery, DigestRun, Platform, PruneResult, Schedule, Store } from '../store/types.ts';
import { realClock, type Clock } from '../digest/clock.ts';
import {
  ChannelPacer, DEFAULT_RETRY_POLICY, DeliveryError, channelKey, deliverWithRetry, parsePayload,
  type DeliveryOutcome, type DeliveryPort, type RetryPolicy,
} from '../digest/delivery.ts';
import type { DigestBudget } from '../digest/model.ts';
import {
  InFlight, resumeRun, runAlerts, runDigest, runNow,
  type CheckFn, type CheckerSettings, type Log, type RunDeps, type RunOutcome,
} from '../digest/runner.ts';
import { DEFAULT_GRACE_MS, DEFAULT_STALL_MS, PLAN_LOOKBACK_MS, UNCONFIRMED_MESSAGE_ID } from '../digest/scheduler.ts';
import { isWeeklyPeriodKey, isoWeekKey, latestDailySlot, localDateKey, nextRun } from '../digest/schedule.ts';

export const QUEUES = {
  tick: 'posture-tick',
  digest: 'posture-digest',
  deliver: 'posture-deliver',
  alerts: 'posture-alerts',
  reconcile: 'posture-reconcile',
  prune: 'posture-prune',
} as const;

export const DEFAULT_BOSS_SCHEMA = 'posture_jobs';
/** pending deliveries younger than this may still be posted by a live worker: reconciliation waits */
export const DEFAULT_PENDING_AFTER_MS = 10 * 60_000;
export const DEFAULT_WORKSPACE_INTERVAL_MS = 200;
export const DEFAULT_DIGEST_CONCURRENCY = 2;

export interface JobSettings {
  /** a worker that stops refreshing its job for this long has died: the job is retried elsewhere (≥ 10; default 30) */
  heartbeatSeconds?: number;
  /** the longest a digest or delivery job may run (default 3600) */
  expireInSeconds?: number;
  /** retries of a digest or delivery job (default 10) */
  retryLimit?: number;
  /** delay before a failed job is retried (default 5, with backoff) */
  retryDelaySeconds?: number;
  /** how often idle workers look for jobs (default 2) */
  pollingIntervalSeconds?: number;
}

export interface CronSettings {
  tick?: string;
  reconcile?: string;
  prune?: string;
  /** IANA zone the cron expressions are read in (default UTC) */
  tz?: string;
}

export interface JobsOptions {
  /** the PostgreSQL store (any Store works; the jobs share the database only through pg-boss) */
  store: Store;
  /** pg-boss's database (usually the store's DATABASE_URL) */
  connectionString: string;
  /** pg-boss's schema (created when missing); default {@link DEFAULT_BOSS_SCHEMA} */
  schema?: string;
  /** one delivery port per platform */
  ports: Partial<Record<Platform, DeliveryPort>>;
  /** injected check (tests); default a checker per digest job from `checker` */
  check?: CheckFn;
  checker?: CheckerSettings;
  /** domains checked at once per digest job (default 8) */
  concurrency?: number;
  /** digest jobs one instance runs at once (default 2) */
  digestConcurrency?: number;
  /** delivery jobs one instance runs at once (default 2) */
  deliverConcurrency?: number;
  /** digest and delivery jobs of one workspace running at once across all instances (default unbounded) */
  workspaceConcurrency?: number;
  /** minimum gap between two posts to one channel from this process (default 1.1 s) */
  channelIntervalMs?: number;
  /** minimum gap between two posts to one workspace from this process (default 200 ms) */
  workspaceIntervalMs?: number;
  clock?: Clock;
  graceMs?: number;
  stallAfterMs?: number;
  pendingAfterMs?: number;
  retry?: Partial<RetryPolicy>;
  budget?: DigestBudget;
  log?: Log;
  jobs?: JobSettings;
  cron?: CronSettings;
  /** register the cron schedules (default true; every instance may, pg-boss keeps one of each) */
  schedule?: boolean;
  /** run job handlers in this instance (default true); false: enqueue only (chat-only node) */
  work?: boolean;
  /** extra pg-boss constructor options (supervise intervals in tests, pool size…) */
  boss?: Partial<ConstructorOptions>;
  /** observe what the handlers do (tests, metrics) */
  onEvent?: (event: JobEvent) => void;
}

export type JobEvent =
  | { type: 'tick'; report: TickResult }
  | { type: 'digest-start'; key: string; retryCount: number }
  | { type: 'digest-done'; key: string; outcome: RunOutcome; resumed: boolean }
  | { type: 'deliver-done'; deliveryId: string; result: SettleResult }
  | { type: 'reconcile'; report: ReconcileResult }
  | { type: 'error'; queue: string; error: string };

export interface TickResult {
  now: Date;
  planned: number;
  enqueued: { channel: ChannelRef; periodKey: string; jobId: string | null }[];
  skipped: { channel: ChannelRef; periodKey: string; reason: string }[];
  alerts: number;
}

export interface ReconcileResult {
  deliveries: number;
  resumed: number;
  skipped: number;
}

export type SettleResult = 'found' | 'reposted' | 'presumed' | 'retry' | 'failed' | 'unknown' | 'abandoned' | 'gone';

export interface JobsEngine {
  boss: PgBoss;
  /** Run the tick now, in this instance (tests; `start` leaves ticks to the cron schedule). */
  tickNow(now?: Date): Promise<TickResult>;
  /** Send a tick job for any instance to run. */
  sendTick(): Promise<string | null>;
  /** Run reconciliation now, in this instance. */
  reconcileNow(now?: Date): Promise<ReconcileResult>;
  /** Prune now, in this instance. */
  pruneNow(now?: Date): Promise<PruneResult>;
  /** `/posture digest now`: in-process, at once (the chat path never waits on a queue). */
  runNow(channel: ChannelRef): Promise<RunOutcome>;
  /** the next slot of a schedule (for the bot's "next: …") */
  nextRun(schedule: Schedule, after: Date): Date;
  /** Stop taking jobs, wait for the running ones (up to `timeoutMs`), stop pg-boss. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

interface DigestData {
  channel: ChannelRef;
  periodKey: string;
}
interface DeliverData {
  channel: ChannelRef;
  runId: string;
  deliveryId: string;
  /** the delivery's last attempt was refused by the platform (known not posted) */
  notPosted: boolean;
}
interface AlertsData {
  channel: ChannelRef;
  dateKey: string;
}

/** The digest job's singleton key: one job per channel and period. */
export function digestJobKey(channel: ChannelRef, periodKey: string): string {
  return `${channelKey(channel)}:${periodKey}`;
}

/** The delivery job's singleton key: one job per delivery and refused attempt. */
export function deliverJobKey(deliveryId: string, failures: number): string {
  return `delivery:${deliveryId}:${failures}`;
}

export function alertsJobKey(channel: ChannelRef, dateKey: string): string {
  return `alerts:${channelKey(channel)}:${dateKey}`;
}

/** A UUID derived from a key (pg-boss job ids are UUIDs): the same key → the same job, once. */
export function uuidFromKey(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  const v = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${v}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const LIVE_STATES = new Set(['created', 'retry', 'active']);
const noLog: Log = () => undefined;
const fmtSlot = (d: Date): string => d.toISOString().replace(/:\d\d\.\d{3}Z$/, 'Z');

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 300);
}

/**
 * A port that waits for the workspace's turn before posting, and refuses (known not posted) once
 * the job that runs it has lost its claim.
 */
function guardedPort(port: DeliveryPort, workspacePacer: ChannelPacer, signal?: AbortSignal): DeliveryPort {
  const guarded: DeliveryPort = {
    platform: port.platform,
    async deliver(channel, digest, options) {
      if (signal?.aborted) throw new DeliveryError({ permanent: false, reason: 'the job lost its claim; another worker owns this run' });
      await workspacePacer.wait({ platform: channel.platform, workspaceId: channel.workspaceId, channelId: '*' }, signal).catch(() => {
        throw new DeliveryError({ permanent: false, reason: 'the job lost its claim; another worker owns this run' });
      });
      if (signal?.aborted) throw new DeliveryError({ permanent: false, reason: 'the job lost its claim; another worker owns this run' });
      return port.deliver(channel, digest, options);
    },
  };
  if (port.findDelivered) {
    const find = port.findDelivered.bind(port);
    guarded.findDelivered = (channel, key) => find(channel, key);
  }
  return guarded;
}

export async function startJobs(options: JobsOptions): Promise<JobsEngine> {
  const store = options.store;
  const ports = options.ports;
  const clock = options.clock ?? realClock;
  const log = options.log ?? noLog;
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const stallAfterMs = options.stallAfterMs ?? DEFAULT_STALL_MS;
  const pendingAfterMs = options.pendingAfterMs ?? DEFAULT_PENDING_AFTER_MS;
  const policy: RetryPolicy = {
    ...DEFAULT_RETRY_POLICY,
    ...(Object.fromEntries(Object.entries(options.retry ?? {}).filter(([, v]) => v !== undefined)) as Partial<RetryPolicy>),
  };
  const pacer = new ChannelPacer(clock, options.channelIntervalMs);
  const workspacePacer = new ChannelPacer(clock, options.workspaceIntervalMs ?? DEFAULT_WORKSPACE_INTERVAL_MS);
  const inFlight = new InFlight();
  const emit = (e: JobEvent): void => {
    try {
      options.onEvent?.(e);
    } catch {
      // an observer never breaks a handler
    }
  };

  const js = options.jobs ?? {};
  const heartbeatSeconds = Math.max(10, js.heartbeatSeconds ?? 30);
  const jobOptions: SendOptions = {
    heartbeatSeconds,
    expireInSeconds: js.expireInSeconds ?? 3600,
    retryLimit: js.retryLimit ?? 10,
    retryDelay: js.retryDelaySeconds ?? 5,
    retryBackoff: true,
    retryDelayMax: 300,
  };
  const pollingIntervalSeconds = js.pollingIntervalSeconds ?? 2;
  const group = (channel: ChannelRef): Pick<SendOptions, 'group'> =>
    options.workspaceConcurrency ? { group: { id: `${channel.platform}:${channel.workspaceId}` } } : {};

  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema: options.schema ?? DEFAULT_BOSS_SCHEMA,
    application_name: 'posture-jobs',
    ...options.boss,
  });
  boss.on('error', (err: Error) => log('error', 'job engine error', { error: errorText(err) }));
  await boss.start();

  await boss.createQueue(QUEUES.tick, { policy: 'exclusive', expireInSeconds: 300, retryLimit: 1 });
  await boss.createQueue(QUEUES.reconcile, { policy: 'exclusive', expireInSeconds: 900, retryLimit: 1 });
  await boss.createQueue(QUEUES.prune, { policy: 'exclusive', expireInSeconds: 900, retryLimit: 2 });
  await boss.createQueue(QUEUES.digest, { policy: 'exclusive' });
  await boss.createQueue(QUEUES.deliver, { policy: 'exclusive' });
  await boss.createQueue(QUEUES.alerts, { policy: 'standard' });

  const deps = (port: DeliveryPort, signal?: AbortSignal): RunDeps => ({
    store,
    port: guardedPort(port, workspacePacer, signal),
    clock,
    ...(options.check ? { check: options.check } : {}),
    ...(options.checker && !options.check ? { checker: options.checker } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    retry: policy,
    pacer,
    ...(options.budget ? { budget: options.budget } : {}),
    inFlight,
    log,
    ...(signal ? { signal } : {}),
  });

  // ── sending ──────────────────────────────────────────────────────────────────────────────

  const sendDigest = (channel: ChannelRef, periodKey: string): Promise<string | null> =>
    boss.send(QUEUES.digest, { channel, periodKey } satisfies DigestData, {
      ...jobOptions, singletonKey: digestJobKey(channel, periodKey), ...group(channel),
    });

  const sendDeliver = (d: Pick<Delivery, 'id' | 'runId' | 'channel' | 'failures'>, notPosted: boolean, startAfter?: Date): Promise<string | null> =>
    boss.send(QUEUES.deliver, { channel: d.channel, runId: d.runId, deliveryId: d.id, notPosted } satisfies DeliverData, {
      ...jobOptions, singletonKey: deliverJobKey(d.id, d.failures), ...group(d.channel),
      ...(startAfter && startAfter.getTime() > Date.now() ? { startAfter } : {}),
    });

  /**
   * After a run: a delivery left pending gets a delivery job (refused → deferred repost; unknown →
   * settle). Not when the job lost its claim: the job's new owner settles the run's deliveries.
   */
  async function followUp(outcome: RunOutcome | undefined, channel: ChannelRef, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    if (!outcome?.deliveryId || !outcome.runId) return;
    if (outcome.status !== 'retry' && outcome.status !== 'unknown') return;
    const d = (await store.deliveries(outcome.runId)).find((x) => x.id === outcome.deliveryId);
    if (!d || d.status !== 'pending') return;
    await sendDeliver({ ...d, channel }, outcome.status === 'retry', outcome.retryAt);
  }

  async function liveJob(queue: string, key: string): Promise<boolean> {
    const jobs = await boss.findJobs(queue, { key, limit: 10 });
    return jobs.some((j) => LIVE_STATES.has(j.state));
  }

  // ── settling one pending delivery (the job owns it) ─────────────────────────────────────

  async function settle(d: Delivery, port: DeliveryPort, knownNotPosted: boolean, signal?: AbortSignal): Promise<SettleResult> {
    const now = clock.now();
    if (now.getTime() - d.intentAt.getTime() > graceMs) {
      log('warn', 'delivery abandoned', { delivery: d.id, reason: `not delivered within ${Math.round(graceMs / 3_600_000)} h of the intent` });
      return 'abandoned';
    }
    const p = guardedPort(port, workspacePacer, signal);
    if (p.findDelivered) {
      const found = await p.findDelivered(d.channel, d.id);
      if (found !== null) {
        await store.markDelivered(d.id, found);
        return 'found';
      }
    } else if (!knownNotPosted) {
      // may have been posted and nothing can tell: at most once
      await store.markDelivered(d.id, UNCONFIRMED_MESSAGE_ID);
      log('warn', 'delivery presumed posted', { delivery: d.id, reason: 'intent recorded, outcome unknown, the platform cannot be asked' });
      return 'presumed';
    }
    const payload = parsePayload(d.payload);
    if (!payload) return 'unknown';
    inFlight.deliveries.add(d.id);
    let outcome: DeliveryOutcome;
    try {
      outcome = await deliverWithRetry({
        store, port: p, clock, delivery: d, kind: payload.kind, digest: payload.digest, policy, pacer, ...(signal ? { signal } : {}),
      });
    } catch (err) {
      outcome = { status: 'unknown', reason: `not recorded: ${errorText(err)}`, attempts: 1 };
    } finally {
      inFlight.deliveries.delete(d.id);
    }
    switch (outcome.status) {
      case 'delivered':
        return outcome.reconciled ? 'found' : 'reposted';
      case 'failed':
        return 'failed';
      case 'retry': {
        if (signal?.aborted) return 'retry'; // the job's new owner takes it from here
        const fresh = (await store.deliveries(d.runId)).find((x) => x.id === d.id);
        if (fresh?.status === 'pending') await sendDeliver(fresh, true, outcome.retryAt);
        return 'retry';
      }
      case 'unknown':
        if (!signal?.aborted) await sendDeliver(d, false, new Date(clock.now().getTime() + backoff(d.failures + 1)));
        return 'unknown';
    }
  }
  const backoff = (n: number): number => Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(n - 1, 20));

  // ── handlers ─────────────────────────────────────────────────────────────────────────────

  async function tick(now: Date = clock.now()): Promise<TickResult> {
    const report: TickResult = { now, planned: 0, enqueued: [], skipped: [], alerts: 0 };
    for (const s of await store.unplannedSchedules()) {
      try {
        const from = new Date(Math.max(s.updatedAt.getTime(), now.getTime() - PLAN_LOOKBACK_MS));
        await store.setNextRunAt(s.channel, nextRun(s, new Date(from.getTime() - 1)));
        report.planned++;
      } catch (err) {
        log('error', 'cannot plan schedule', { channel: channelKey(s.channel), error: errorText(err) });
      }
    }
    for (const s of await store.dueChannels(now)) {
      try {
        await enqueueDue(s, now, report);
      } catch (err) {
        log('error', 'digest not enqueued', { channel: channelKey(s.channel), error: errorText(err) });
      }
    }
    const horizon = new Date(now.getTime() + 400 * 86_400_000);
    for (const s of (await store.dueChannels(horizon)).filter((x) => x.alertOnRegression)) {
      if (!ports[s.channel.platform]) continue;
      try {
        const dateKey = localDateKey(latestDailySlot(s, now), s.timeZone);
        const key = alertsJobKey(s.channel, dateKey);
        const id = await boss.send(QUEUES.alerts, { channel: s.channel, dateKey } satisfies AlertsData, {
          ...jobOptions, id: uuidFromKey(key), singletonKey: key, ...group(s.channel),
        });
        if (id) report.alerts++;
      } catch (err) {
        log('error', 'alert pass not enqueued', { channel: channelKey(s.channel), error: errorText(err) });
      }
    }
    emit({ type: 'tick', report });
    return report;
  }

  async function enqueueDue(s: Schedule, now: Date, report: TickResult): Promise<void> {
    if (!s.nextRunAt) return;
    let slot = s.nextRunAt;
    const port = ports[s.channel.platform];
    for (let i = 0; i < 60 && now.getTime() - slot.getTime() > graceMs; i++) {
      const periodKey = isoWeekKey(slot, s.timeZone);
      const reason =
        `missed: the ${fmtSlot(slot)} slot (${s.time} ${s.timeZone}) passed more than ` +
        `${Math.round(graceMs / 3_600_000)} h ago ${port ? 'while no instance was running' : `with no ${s.channel.platform} connection configured`}`;
      const claim = await store.claimDigest(s.channel, periodKey);
      if (claim) {
        await store.skipRun(claim.runId, reason);
        report.skipped.push({ channel: s.channel, periodKey, reason });
      }
      slot = nextRun(s, slot);
    }
    if (slot.getTime() <= now.getTime()) {
      if (!port) {
        if (slot.getTime() !== s.nextRunAt.getTime()) await store.setNextRunAt(s.channel, slot);
        return;
      }
      const periodKey = isoWeekKey(slot, s.timeZone);
      // enqueue first, then plan the next slot: a crash in between re-enqueues (deduplicated)
      const jobId = await sendDigest(s.channel, periodKey);
      report.enqueued.push({ channel: s.channel, periodKey, jobId });
    }
    const fresh = await store.getSchedule(s.channel);
    if (!fresh || !fresh.enabled || !fresh.nextRunAt) return;
    await store.setNextRunAt(s.channel, nextRun(fresh, now));
  }

  async function digestJob(job: Job<DigestData>): Promise<RunOutcome> {
    const { channel, periodKey } = job.data;
    const key = digestJobKey(channel, periodKey);
    emit({ type: 'digest-start', key, retryCount: job.retryCount });
    const port = ports[channel.platform];
    if (!port) throw new Error(`no ${channel.platform} delivery port in this instance`);
    const d = deps(port, job.signal);
    let outcome = await runDigest({ ...d, channel, periodKey });
    let resumed = false;
    if (outcome.status === 'already-claimed') {
      // a retry of a job whose worker died (or a duplicate): this job is the lease on the run
      const run = await store.getDigestRun(channel, periodKey);
      if (run) {
        resumed = true;
        outcome = await recover(run, port, job.signal);
      }
    }
    await followUp(outcome, channel, job.signal);
    emit({ type: 'digest-done', key, outcome, resumed });
    return outcome;
  }

  async function recover(run: DigestRun, port: DeliveryPort, signal: AbortSignal): Promise<RunOutcome> {
    const base = { posted: false, periodKey: run.periodKey, runId: run.id };
    if (run.status === 'claimed') {
      const fresh = clock.now().getTime() - run.claimedAt.getTime() <= graceMs;
      if (isWeeklyPeriodKey(run.periodKey) && fresh) return resumeRun({ ...deps(port, signal), run });
      const reason = 'interrupted before anything was posted, and the catch-up window has passed';
      await store.skipRun(run.id, reason);
      return { ...base, status: 'skipped', reason };
    }
    if (run.status === 'delivering') {
      let last: SettleResult = 'gone';
      for (const d of await store.deliveries(run.id)) {
        if (d.status !== 'pending') continue;
        last = await settle(d, port, false, signal);
      }
      const after = (await store.deliveries(run.id)).every((x) => x.status === 'delivered');
      return { ...base, status: after ? 'delivered' : 'unknown', posted: after, reason: `recovered: ${last}` };
    }
    return { ...base, status: 'already-claimed', posted: run.status === 'delivered', reason: `the ${run.periodKey} digest is ${run.status}` };
  }

  async function deliverJob(job: Job<DeliverData>): Promise<SettleResult> {
    const { channel, runId, deliveryId, notPosted } = job.data;
    const d = (await store.deliveries(runId)).find((x) => x.id === deliveryId);
    let result: SettleResult = 'gone';
    if (d && d.status === 'pending') {
      const port = ports[channel.platform];
      if (!port) throw new Error(`no ${channel.platform} delivery port in this instance`);
      // a retried job may have posted before its worker died: only the first attempt knows "not posted"
      result = await settle(d, port, notPosted && job.retryCount === 0, job.signal);
    }
    emit({ type: 'deliver-done', deliveryId, result });
    return result;
  }

  async function alertsJob(job: Job<AlertsData>): Promise<void> {
    const { channel, dateKey } = job.data;
    const port = ports[channel.platform];
    if (!port) throw new Error(`no ${channel.platform} delivery port in this instance`);
    const results = await runAlerts({ ...deps(port, job.signal), channel, dateKey });
    for (const r of results) await followUp(r.outcome, channel, job.signal);
  }

  async function reconcile(now: Date = clock.now()): Promise<ReconcileResult> {
    const report: ReconcileResult = { deliveries: 0, resumed: 0, skipped: 0 };
    const pending = await store.pendingDeliveries({ intentBefore: new Date(now.getTime() - pendingAfterMs) });
    for (const d of pending) {
      try {
        if (now.getTime() - d.intentAt.getTime() > graceMs) continue; // abandoned
        if (inFlight.deliveries.has(d.id) || inFlight.runs.has(d.runId)) continue;
        if (await liveJob(QUEUES.digest, digestJobKey(d.channel, d.periodKey))) continue;
        const dateKey = d.periodKey.startsWith('alert:') ? d.periodKey.slice(d.periodKey.lastIndexOf(':') + 1) : null;
        if (dateKey && (await liveJob(QUEUES.alerts, alertsJobKey(d.channel, dateKey)))) continue;
        if (await sendDeliver(d, false)) report.deliveries++;
      } catch (err) {
        log('error', 'reconcile failed', { delivery: d.id, error: errorText(err) });
      }
    }
    for (const run of await store.stalledRuns(new Date(now.getTime() - stallAfterMs))) {
      try {
        if (inFlight.runs.has(run.id)) continue;
        if (await liveJob(QUEUES.digest, digestJobKey(run.channel, run.periodKey))) continue;
        const fresh = now.getTime() - run.claimedAt.getTime() <= graceMs;
        if (isWeeklyPeriodKey(run.periodKey) && fresh) {
          if (!ports[run.channel.platform]) continue;
          if (await sendDigest(run.channel, run.periodKey)) report.resumed++;
          continue;
        }
        const reason = isWeeklyPeriodKey(run.periodKey)
          ? 'interrupted before anything was posted, and the catch-up window has passed'
          : 'interrupted before anything was posted; on-demand digests and alerts are not resumed';
        await store.skipRun(run.id, reason);
        report.skipped++;
      } catch (err) {
        log('error', 'stalled run not settled', { run: run.id, error: errorText(err) });
      }
    }
    emit({ type: 'reconcile', report });
    return report;
  }

  const wrap = <T, R>(queue: string, fn: (job: Job<T>) => Promise<R>) =>
    async (jobs: Job<T>[]): Promise<R | undefined> => {
      let last: R | undefined;
      for (const job of jobs) {
        try {
          last = await fn(job);
        } catch (err) {
          emit({ type: 'error', queue, error: errorText(err) });
          log('error', 'job failed', { queue, job: job.id, error: errorText(err) });
          throw err;
        }
      }
      return last;
    };

  if (options.work !== false) {
    const poll = { pollingIntervalSeconds };
    const groupConcurrency = options.workspaceConcurrency ? { groupConcurrency: options.workspaceConcurrency } : {};
    await boss.work<Record<string, never>>(QUEUES.tick, { ...poll, batchSize: 1 }, wrap(QUEUES.tick, async () => {
      await tick();
    }));
    await boss.work<Record<string, never>>(QUEUES.reconcile, { ...poll, batchSize: 1 }, wrap(QUEUES.reconcile, async () => {
      await reconcile();
    }));
    await boss.work<Record<string, never>>(QUEUES.prune, { ...poll, batchSize: 1 }, wrap(QUEUES.prune, async () => {
      await store.prune(clock.now());
    }));
    await boss.work<DigestData>(QUEUES.digest, {
      ...poll, batchSize: 1, localConcurrency: Math.max(1, options.digestConcurrency ?? DEFAULT_DIGEST_CONCURRENCY), ...groupConcurrency,
    }, wrap(QUEUES.digest, digestJob));
    await boss.work<DeliverData>(QUEUES.deliver, {
      ...poll, batchSize: 1, localConcurrency: Math.max(1, options.deliverConcurrency ?? 2), ...groupConcurrency,
    }, wrap(QUEUES.deliver, deliverJob));
    await boss.work<AlertsData>(QUEUES.alerts, { ...poll, batchSize: 1, localConcurrency: 1, ...groupConcurrency }, wrap(QUEUES.alerts, alertsJob));
  }

  if (options.schedule !== false) {
    const tz = options.cron?.tz ?? 'UTC';
    await boss.schedule(QUEUES.tick, options.cron?.tick ?? '* * * * *', {}, { tz });
    await boss.schedule(QUEUES.reconcile, options.cron?.reconcile ?? '* * * * *', {}, { tz });
    await boss.schedule(QUEUES.prune, options.cron?.prune ?? '17 3 * * *', {}, { tz });
  }

  let stopped = false;
  return {
    boss,
    tickNow: (now) => tick(now),
    sendTick: () => boss.send(QUEUES.tick, {}),
    reconcileNow: (now) => reconcile(now),
    pruneNow: (now) => store.prune(now ?? clock.now()),
    async runNow(channel) {
      const port = ports[channel.platform];
      if (!port) {
        return { status: 'skipped', posted: false, periodKey: '', reason: `no ${channel.platform} connection is configured for digests` };
      }
      const outcome = await runNow({ ...deps(port), channel });
      await followUp(outcome, channel).catch((err) => log('error', 'delivery job not enqueued', { error: errorText(err) }));
      return outcome;
    },
    nextRun: (schedule, after) => nextRun(schedule, after),
    async stop(stopOptions = {}) {
      if (stopped) return;
      stopped = true;
      await boss.stop({ graceful: true, timeout: stopOptions.timeoutMs ?? 30_000 });
    },
  };
}

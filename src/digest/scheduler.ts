/**
 * The digest scheduler: one per process (SQLite is single-writer; PostgreSQL scale-out will
 * schedule through a job engine instead). `start()` runs {@link Scheduler.tick} once a minute on
 * the clock; tests call `tick()` directly with a manual clock.
 *
 * One tick, in order:
 * 1. prune the store, once a (UTC) day;
 * 2. plan schedules that have no `nextRunAt` (new, changed, re-enabled): the first slot after the
 *    later of their last change and a couple of minutes ago, so "digest mon 09:00" typed at
 *    08:59:30 still fires at 09:00;
 * 3. reconcile pending deliveries (below);
 * 4. resume or skip runs that were claimed but never recorded an intent (the process died while
 *    checking): nothing was posted, so a run still inside the grace window is run again under the
 *    same claim; older ones are skipped with a reason;
 * 5. run due channels: the period is the ISO week of the slot ({@link isoWeekKey}); a slot at most
 *    {@link DEFAULT_GRACE_MS} (24 h) old is caught up once, older slots are recorded as skipped
 *    with a reason; then the next slot is planned. The claim (one per channel and period) makes
 *    this at-most-once however often the tick runs, and across restarts;
 * 6. the daily regression-alert pass of channels with "alert on regression", at the schedule's
 *    local time every day (deduplicated per domain and date by the claim).
 *
 * Reconciliation — no double post:
 * - A delivery whose attempt failed with a DeliveryError (the platform said no) is known not to be
 *   posted; this process remembers it and posts it again on a later tick, with exponential
 *   backoff that continues across ticks (from the delivery's failure count) and honours the
 *   platform's Retry-After. After the grace window the delivery is abandoned (left pending, logged).
 * - Any other pending delivery may have been posted (the process died between the post and
 *   `markDelivered`, or the attempt ended in an unknown outcome). With a port that has
 *   `findDelivered`, the platform is asked: found → recorded as delivered with its message id;
 *   not found → posted again. **Without `findDelivered` the choice is at-most-once**: the delivery
 *   is presumed posted and recorded as delivered with the message id {@link UNCONFIRMED_MESSAGE_ID}
 *   — a digest may be lost in that narrow window, but none is ever posted twice.
 */
import type { ChannelRef, Delivery, Platform, PruneResult, Schedule, Store } from '../store/types.ts';
import { realClock, type Clock } from './clock.ts';
import {
  ChannelPacer, DEFAULT_RETRY_POLICY, backoffDelay, channelKey, deliverWithRetry, parsePayload,
  type DeliveryOutcome, type DeliveryPort, type RetryPolicy,
} from './delivery.ts';
import type { DigestBudget } from './model.ts';
import {
  InFlight, lazyChecker, memoizeCheck, memoizePrevious, resumeRun, runAlerts, runDigest, runNow,
  type AlertOutcome, type CheckFn, type CheckerSettings, type Log, type RunDeps, type RunOutcome,
} from './runner.ts';
import { isWeeklyPeriodKey, isoWeekKey, latestDailySlot, localDateKey, nextRun } from './schedule.ts';

export const DEFAULT_GRACE_MS = 24 * 3_600_000;
export const DEFAULT_TICK_MS = 60_000;
/** a run claimed this long ago without any delivery intent is taken as interrupted */
export const DEFAULT_STALL_MS = 15 * 60_000;
/** planning looks back this far, so a slot set a moment before it falls is not missed */
export const PLAN_LOOKBACK_MS = 2 * DEFAULT_TICK_MS;
/** the message id recorded for a delivery presumed posted (no `findDelivered`; see the module comment) */
export const UNCONFIRMED_MESSAGE_ID = 'unconfirmed';

export interface SchedulerOptions {
  store: Store;
  /** one delivery port per platform; channels of a platform without a port wait (and are skipped after the grace window) */
  ports: Partial<Record<Platform, DeliveryPort>>;
  clock?: Clock;
  /** injected check (tests); default: one `createChecker` per tick (made on the first check) from `checker` */
  check?: CheckFn;
  checker?: CheckerSettings;
  /** domains checked at once per run (default 8) */
  concurrency?: number;
  graceMs?: number;
  tickMs?: number;
  stallAfterMs?: number;
  retry?: Partial<RetryPolicy>;
  /** minimum gap between two posts to one channel (default 1.1 s) */
  channelIntervalMs?: number;
  budget?: DigestBudget;
  log?: Log;
  /** called after every tick of the `start()` loop (and its error, if it threw) */
  onTick?: (report: TickReport | null, error?: unknown) => void;
}

export interface ChannelEvent {
  channel: ChannelRef;
  periodKey: string;
  outcome: RunOutcome;
}

export interface ReconcileEvent {
  deliveryId: string;
  channel: ChannelRef;
  /** delivered (found on the platform, or posted again), presumed (at-most-once), retry, failed, unknown, waiting, abandoned */
  result: 'found' | 'reposted' | 'presumed' | 'retry' | 'failed' | 'unknown' | 'waiting' | 'abandoned';
  messageId?: string;
  reason?: string;
}

export interface TickReport {
  now: Date;
  planned: { channel: ChannelRef; nextRunAt: Date }[];
  reconciled: ReconcileEvent[];
  resumed: ChannelEvent[];
  ran: ChannelEvent[];
  /** periods recorded as skipped without running (missed slots) */
  skipped: { channel: ChannelRef; periodKey: string; reason: string }[];
  alerts: { channel: ChannelRef; dateKey: string; results: AlertOutcome[] }[];
  pruned: PruneResult | null;
}

const fmtSlot = (d: Date): string => d.toISOString().replace(/:\d\d\.\d{3}Z$/, 'Z');

export class Scheduler {
  private readonly store: Store;
  private readonly ports: Partial<Record<Platform, DeliveryPort>>;
  private readonly clock: Clock;
  private readonly opts: SchedulerOptions;
  private readonly graceMs: number;
  private readonly tickMs: number;
  private readonly stallAfterMs: number;
  private readonly policy: RetryPolicy;
  private readonly pacer: ChannelPacer;
  private readonly inFlight = new InFlight();
  private readonly log: Log;
  /** deliveries known not to be posted (their last attempt was refused), with the earliest retry time */
  private readonly retryAt = new Map<string, number>();
  private readonly abandoned = new Set<string>();
  /** the daily alert slot last handled per channel */
  private readonly alertSlots = new Map<string, number>();
  private lastPruneDay: string | null = null;
  private ticking: Promise<TickReport> | null = null;
  private loop: Promise<void> | null = null;
  private abort: AbortController | null = null;

  constructor(options: SchedulerOptions) {
    this.opts = options;
    this.store = options.store;
    this.ports = options.ports;
    this.clock = options.clock ?? realClock;
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    this.tickMs = options.tickMs ?? DEFAULT_TICK_MS;
    this.stallAfterMs = options.stallAfterMs ?? DEFAULT_STALL_MS;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...Object.fromEntries(Object.entries(options.retry ?? {}).filter(([, v]) => v !== undefined)) };
    this.pacer = new ChannelPacer(this.clock, options.channelIntervalMs);
    this.log = options.log ?? (() => undefined);
  }

  /** the next slot of a schedule (for the bot's "next: …") */
  nextRun(schedule: Schedule, after: Date): Date {
    return nextRun(schedule, after);
  }

  /** One pass. Ticks never overlap: a tick asked for while one runs waits for it and runs after. */
  async tick(now: Date = this.clock.now()): Promise<TickReport> {
    while (this.ticking) await this.ticking.catch(() => undefined);
    const run = this.runTick(now);
    this.ticking = run;
    try {
      return await run;
    } finally {
      this.ticking = null;
    }
  }

  /** Tick now and then every `tickMs` on the clock, until {@link stop}. */
  start(): void {
    if (this.loop) return;
    const abort = new AbortController();
    this.abort = abort;
    this.loop = (async () => {
      while (!abort.signal.aborted) {
        try {
          const report = await this.tick();
          this.opts.onTick?.(report);
        } catch (err) {
          this.log('error', 'scheduler tick failed', { error: (err as Error).message });
          this.opts.onTick?.(null, err);
        }
        if (abort.signal.aborted) break;
        try {
          await this.clock.sleep(this.tickMs, abort.signal);
        } catch {
          break;
        }
      }
    })();
  }

  /** Stop the loop and wait for the tick in progress. */
  async stop(): Promise<void> {
    this.abort?.abort();
    const loop = this.loop;
    this.loop = null;
    this.abort = null;
    await loop;
  }

  /** `/posture digest now` through this scheduler's ports, pacing and in-flight tracking. */
  async runNow(channel: ChannelRef): Promise<RunOutcome> {
    const port = this.ports[channel.platform];
    if (!port) {
      return { status: 'skipped', posted: false, periodKey: '', reason: `no ${channel.platform} connection is configured for digests` };
    }
    const outcome = await runNow({ ...this.deps(port, this.opts.check, undefined), channel });
    this.remember(outcome);
    return outcome;
  }

  // ── the tick ───────────────────────────────────────────────────────────────────────────

  private async runTick(now: Date): Promise<TickReport> {
    const report: TickReport = { now, planned: [], reconciled: [], resumed: [], ran: [], skipped: [], alerts: [], pruned: null };
    // one check per domain and one DNS cache for the whole tick; previous runs read before any save
    let check = this.opts.check;
    let close = async (): Promise<void> => undefined;
    if (!check) {
      const checker = lazyChecker({ ...this.opts.checker, now: this.opts.checker?.now ?? (() => this.clock.now()) });
      check = checker.check;
      close = checker.close;
    }
    const shared = { check: memoizeCheck(check), previous: memoizePrevious(this.store), asOf: now };
    try {
      await this.prune(now, report);
      await this.plan(now, report);
      await this.reconcile(now, report);
      await this.resumeStalled(now, report, shared);
      await this.runDue(now, report, shared);
      await this.runAlertPasses(now, report, shared);
    } finally {
      await close();
    }
    return report;
  }

  private deps(port: DeliveryPort, check: CheckFn | undefined, shared: Shared | undefined): RunDeps {
    return {
      store: this.store,
      port,
      clock: this.clock,
      ...(shared ? { check: shared.check, previous: shared.previous, asOf: shared.asOf } : check ? { check } : {}),
      ...(this.opts.checker && !check && !shared ? { checker: this.opts.checker } : {}),
      ...(this.opts.concurrency !== undefined ? { concurrency: this.opts.concurrency } : {}),
      retry: this.policy,
      pacer: this.pacer,
      ...(this.opts.budget ? { budget: this.opts.budget } : {}),
      inFlight: this.inFlight,
      log: this.log,
    };
  }

  private remember(outcome: RunOutcome | undefined): void {
    if (!outcome?.deliveryId) return;
    if (outcome.status === 'retry' && outcome.retryAt) this.retryAt.set(outcome.deliveryId, outcome.retryAt.getTime());
    else this.retryAt.delete(outcome.deliveryId);
  }

  private async prune(now: Date, report: TickReport): Promise<void> {
    const day = now.toISOString().slice(0, 10);
    if (this.lastPruneDay === day) return;
    try {
      report.pruned = await this.store.prune(now);
      this.lastPruneDay = day;
    } catch (err) {
      this.log('error', 'prune failed', { error: (err as Error).message });
    }
  }

  private async plan(now: Date, report: TickReport): Promise<void> {
    for (const s of await this.store.unplannedSchedules()) {
      try {
        const from = new Date(Math.max(s.updatedAt.getTime(), now.getTime() - PLAN_LOOKBACK_MS));
        const at = nextRun(s, new Date(from.getTime() - 1));
        await this.store.setNextRunAt(s.channel, at);
        report.planned.push({ channel: s.channel, nextRunAt: at });
      } catch (err) {
        // a zone this runtime does not know: leave it unplanned and say why
        this.log('error', 'cannot plan schedule', { channel: channelKey(s.channel), error: (err as Error).message });
      }
    }
  }

  private async reconcile(now: Date, report: TickReport): Promise<void> {
    const pending = await this.store.pendingDeliveries();
    for (const d of pending) {
      if (this.inFlight.deliveries.has(d.id)) continue;
      const port = this.ports[d.channel.platform];
      if (!port) continue;
      try {
        const event = await this.reconcileOne(d, port, now);
        if (event) report.reconciled.push(event);
      } catch (err) {
        this.log('error', 'reconcile failed', { delivery: d.id, error: (err as Error).message });
      }
    }
  }

  private async reconcileOne(d: Delivery, port: DeliveryPort, now: Date): Promise<ReconcileEvent | null> {
    const base = { deliveryId: d.id, channel: d.channel };
    if (now.getTime() - d.intentAt.getTime() > this.graceMs) {
      if (this.abandoned.has(d.id)) return null;
      this.abandoned.add(d.id);
      this.retryAt.delete(d.id);
      const reason = `not delivered within ${Math.round(this.graceMs / 3_600_000)} h of the intent${d.lastError ? ` (last error: ${d.lastError})` : ''}; abandoned`;
      this.log('warn', 'delivery abandoned', { delivery: d.id, reason });
      return { ...base, result: 'abandoned', reason };
    }
    const knownNotPosted = this.retryAt.get(d.id);
    if (port.findDelivered) {
      const found = await port.findDelivered(d.channel, d.id);
      if (found !== null) {
        await this.store.markDelivered(d.id, found);
        this.retryAt.delete(d.id);
        return { ...base, result: 'found', messageId: found };
      }
      // not on the platform: safe to post (after the backoff of a refused attempt)
      if (knownNotPosted !== undefined && now.getTime() < knownNotPosted) return { ...base, result: 'waiting' };
      if (d.failures > 0 && knownNotPosted === undefined && now.getTime() < d.updatedAt.getTime() + backoffDelay(this.policy, d.failures)) {
        return { ...base, result: 'waiting' };
      }
      return this.repost(d, port, base);
    }
    if (knownNotPosted === undefined) {
      // may have been posted and nothing can tell: at-most-once
      await this.store.markDelivered(d.id, UNCONFIRMED_MESSAGE_ID);
      this.log('warn', 'delivery presumed posted', { delivery: d.id, reason: 'intent recorded, outcome unknown, the platform cannot be asked' });
      return { ...base, result: 'presumed', messageId: UNCONFIRMED_MESSAGE_ID };
    }
    if (now.getTime() < knownNotPosted) return { ...base, result: 'waiting' };
    return this.repost(d, port, base);
  }

  private async repost(d: Delivery, port: DeliveryPort, base: { deliveryId: string; channel: ChannelRef }): Promise<ReconcileEvent> {
    const payload = parsePayload(d.payload);
    if (!payload) {
      this.retryAt.delete(d.id);
      return { ...base, result: 'unknown', reason: 'the recorded payload cannot be posted again' };
    }
    this.inFlight.deliveries.add(d.id);
    let outcome: DeliveryOutcome;
    try {
      outcome = await deliverWithRetry({
        store: this.store, port, clock: this.clock, delivery: d, kind: payload.kind, digest: payload.digest,
        // one attempt per tick: the backoff between ticks comes from the failure count
        policy: { ...this.policy, maxAttempts: 1 }, pacer: this.pacer,
      });
    } catch (err) {
      outcome = { status: 'unknown', reason: `not recorded: ${(err as Error).message}`, attempts: 1 };
    } finally {
      this.inFlight.deliveries.delete(d.id);
    }
    switch (outcome.status) {
      case 'delivered':
        this.retryAt.delete(d.id);
        return { ...base, result: outcome.reconciled ? 'found' : 'reposted', messageId: outcome.messageId };
      case 'retry':
        this.retryAt.set(d.id, outcome.retryAt.getTime());
        return { ...base, result: 'retry', reason: outcome.reason };
      case 'failed':
        this.retryAt.delete(d.id);
        return { ...base, result: 'failed', reason: outcome.reason };
      case 'unknown':
        this.retryAt.delete(d.id);
        return { ...base, result: 'unknown', reason: outcome.reason };
    }
  }

  private async resumeStalled(now: Date, report: TickReport, shared: Shared): Promise<void> {
    const stalled = await this.store.stalledRuns(new Date(now.getTime() - this.stallAfterMs));
    for (const run of stalled) {
      if (this.inFlight.runs.has(run.id)) continue;
      try {
        const port = this.ports[run.channel.platform];
        const fresh = now.getTime() - run.claimedAt.getTime() <= this.graceMs;
        if (isWeeklyPeriodKey(run.periodKey) && fresh) {
          if (!port) continue;
          const outcome = await resumeRun({ ...this.deps(port, undefined, shared), run });
          this.remember(outcome);
          report.resumed.push({ channel: run.channel, periodKey: run.periodKey, outcome });
          continue;
        }
        const reason = isWeeklyPeriodKey(run.periodKey)
          ? 'interrupted before anything was posted, and the catch-up window has passed'
          : 'interrupted before anything was posted; on-demand digests and alerts are not resumed';
        await this.store.skipRun(run.id, reason);
        report.skipped.push({ channel: run.channel, periodKey: run.periodKey, reason });
      } catch (err) {
        this.log('error', 'stalled run not settled', { run: run.id, error: (err as Error).message });
      }
    }
  }

  private async runDue(now: Date, report: TickReport, shared: Shared): Promise<void> {
    for (const s of await this.store.dueChannels(now)) {
      try {
        await this.runSchedule(s, now, report, shared);
      } catch (err) {
        this.log('error', 'digest run failed', { channel: channelKey(s.channel), error: (err as Error).message });
      }
    }
  }

  private async runSchedule(s: Schedule, now: Date, report: TickReport, shared: Shared): Promise<void> {
    if (!s.nextRunAt) return;
    let slot = s.nextRunAt;
    const port = this.ports[s.channel.platform];
    // slots older than the grace window are recorded as missed, one period each (bounded)
    for (let i = 0; i < 60 && now.getTime() - slot.getTime() > this.graceMs; i++) {
      const periodKey = isoWeekKey(slot, s.timeZone);
      const reason =
        `missed: the ${fmtSlot(slot)} slot (${s.time} ${s.timeZone}) passed more than ` +
        `${Math.round(this.graceMs / 3_600_000)} h ago ${port ? 'while the scheduler was not running' : `with no ${s.channel.platform} connection configured`}`;
      const claim = await this.store.claimDigest(s.channel, periodKey);
      if (claim) {
        await this.store.skipRun(claim.runId, reason);
        report.skipped.push({ channel: s.channel, periodKey, reason });
        this.log('warn', 'digest period skipped', { channel: channelKey(s.channel), periodKey, reason });
      }
      slot = nextRun(s, slot);
    }
    if (slot.getTime() <= now.getTime()) {
      if (!port) {
        // wait for the adapter (until the grace window ends): remember where we are
        if (slot.getTime() !== s.nextRunAt.getTime()) await this.store.setNextRunAt(s.channel, slot);
        return;
      }
      const periodKey = isoWeekKey(slot, s.timeZone);
      const outcome = await runDigest({ ...this.deps(port, undefined, shared), channel: s.channel, periodKey });
      this.remember(outcome);
      report.ran.push({ channel: s.channel, periodKey, outcome });
    }
    // plan from the schedule as it is now (it may have changed while the run was going on)
    const fresh = await this.store.getSchedule(s.channel);
    if (!fresh || !fresh.enabled || !fresh.nextRunAt) return; // disabled, or reset for re-planning
    // every slot up to now was run or recorded as skipped
    await this.store.setNextRunAt(s.channel, nextRun(fresh, now));
  }

  private async runAlertPasses(now: Date, report: TickReport, shared: Shared): Promise<void> {
    // every enabled, planned schedule (planning above leaves none unplanned that can be planned)
    const horizon = new Date(now.getTime() + 400 * 86_400_000);
    const schedules = (await this.store.dueChannels(horizon)).filter((s) => s.alertOnRegression);
    for (const s of schedules) {
      const port = this.ports[s.channel.platform];
      if (!port) continue;
      try {
        const slot = latestDailySlot(s, now);
        const key = channelKey(s.channel);
        if (this.alertSlots.get(key) === slot.getTime()) continue;
        const dateKey = localDateKey(slot, s.timeZone);
        const results = await runAlerts({ ...this.deps(port, undefined, shared), channel: s.channel, dateKey });
        for (const r of results) this.remember(r.outcome);
        this.alertSlots.set(key, slot.getTime());
        report.alerts.push({ channel: s.channel, dateKey, results });
      } catch (err) {
        this.log('error', 'alert pass failed', { channel: channelKey(s.channel), error: (err as Error).message });
      }
    }
  }
}

interface Shared {
  check: CheckFn;
  previous: ReturnType<typeof memoizePrevious>;
  asOf: Date;
}

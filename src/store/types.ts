/**
 * The store: everything Posture keeps between runs, behind one interface.
 *
 * - installations (one per chat workspace / guild), with their secrets as an opaque JSON blob;
 * - channels' watch lists (at most {@link WATCH_LIMIT} domains a channel);
 * - digest schedules (one per channel) with the next run time planned by the scheduler;
 * - check history: the full latest report per domain and a compact row per check;
 * - digest runs (claimed once per channel and period) and their deliveries
 *   (intent recorded before posting, so a crash never double-posts).
 *
 * Every method is async: the embedded SQLite implementation wraps synchronous calls, and the
 * PostgreSQL implementation (scale-out) must pass the same contract suite (`test/store/contract.ts`).
 *
 * Conventions:
 * - Times are `Date` objects (UTC instants); the store keeps millisecond precision.
 * - Domains given to the store are normalised as the CLI does (`normalizeDomain`): any case,
 *   trailing dot, Unicode or A-labels, an e-mail address means its domain. Invalid input throws
 *   {@link InvalidDomainError} with no side effect. Domains returned are A-labels, lower case.
 * - Time-zone math is not the store's business: the scheduler computes `nextRunAt` (UTC) and the
 *   period key; the store only compares instants.
 */
import type { Grade, Report } from '../checker/types.ts';
import type { ReportFacts } from '../checker/facts.ts';

export type Platform = 'slack' | 'discord';
export const PLATFORMS: readonly Platform[] = ['slack', 'discord'];

/** A chat workspace: a Slack team (or Enterprise Grid org: key on `enterpriseId ?? teamId`) or a Discord guild. */
export interface WorkspaceRef {
  platform: Platform;
  workspaceId: string;
}

/** A channel, unique by all three parts: the same channel id on two platforms or workspaces is two channels. */
export interface ChannelRef {
  platform: Platform;
  workspaceId: string;
  channelId: string;
}

// ─── installations ──────────────────────────────────────────────────────────────────────────

export interface Installation {
  platform: Platform;
  workspaceId: string;
  /** Slack team name / Discord guild name, when known */
  workspaceName: string | null;
  /**
   * Bot token and other secrets: an opaque JSON value (for Slack, the `Installation` object
   * Bolt's InstallationStore hands over). Never log it. `null` once the installation is revoked.
   */
  secrets: unknown;
  /** user id of whoever installed the app, when known */
  installedBy: string | null;
  /** IANA time zone of the workspace, when known (default zone for new digest schedules) */
  timeZone: string | null;
  installedAt: Date;
  updatedAt: Date;
  /** set when the app was uninstalled or its tokens revoked; cleared by a new install */
  revokedAt: Date | null;
}

export interface InstallationInput {
  platform: Platform;
  workspaceId: string;
  /** any JSON-serialisable value; replaces the stored secrets */
  secrets: unknown;
  /** `undefined` keeps the stored value (null on first install) */
  workspaceName?: string | null;
  /** `undefined` keeps the stored value (null on first install) */
  installedBy?: string | null;
  /** `undefined` keeps the stored value (null on first install); must be a valid IANA zone */
  timeZone?: string | null;
}

// ─── watch lists ────────────────────────────────────────────────────────────────────────────

/** The most domains one channel may watch. */
export const WATCH_LIMIT = 50;

export interface WatchEntry {
  channel: ChannelRef;
  /** normalised: A-labels, lower case, no trailing dot */
  domain: string;
  addedBy: string | null;
  addedAt: Date;
}

export interface WatchResult {
  /** false when the channel already watched the domain (a no-op) */
  added: boolean;
  /** the normalised domain */
  domain: string;
  /** how many domains the channel watches now */
  count: number;
}

export interface UnwatchResult {
  /** false when the channel did not watch the domain (a no-op) */
  removed: boolean;
  domain: string;
  count: number;
}

// ─── schedules ──────────────────────────────────────────────────────────────────────────────

/**
 * Weekdays are ISO 8601 numbers: 1 = Monday … 7 = Sunday (not JavaScript's `getDay()`, where
 * Sunday is 0).
 */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;
export const DEFAULT_WEEKDAY: Weekday = 1;
/** local time, 24-hour "HH:MM" */
export const DEFAULT_TIME = '09:00';
/** used when the workspace's zone is not known */
export const DEFAULT_TIME_ZONE = 'UTC';

export interface Schedule {
  channel: ChannelRef;
  /** ISO weekday: 1 = Monday … 7 = Sunday */
  weekday: Weekday;
  /** local time "HH:MM" (24-hour) in `timeZone` */
  time: string;
  /** IANA time zone, e.g. "Europe/Berlin" */
  timeZone: string;
  enabled: boolean;
  /** why the schedule was disabled (e.g. a permanent delivery error); null when enabled or turned off without a reason */
  disabledReason: string | null;
  /** post an alert when a watched domain regresses; off by default */
  alertOnRegression: boolean;
  /**
   * The next run, planned by the scheduler (UTC). `null` means "not planned": new schedules,
   * and schedules whose weekday/time/zone changed or that were re-enabled without a new value.
   */
  nextRunAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A change to a channel's schedule. Missing fields keep the stored value, or take the defaults
 * when the channel has no schedule yet: Monday 09:00 in the workspace's time zone when the
 * installation knows it, else UTC; enabled; no regression alerts.
 * Changing weekday, time or timeZone, or enabling a disabled schedule, resets `nextRunAt` to
 * null unless the patch gives `nextRunAt`.
 */
export interface SchedulePatch {
  weekday?: Weekday;
  time?: string;
  timeZone?: string;
  /** true clears `disabledReason` */
  enabled?: boolean;
  alertOnRegression?: boolean;
  nextRunAt?: Date | null;
}

// ─── check history ──────────────────────────────────────────────────────────────────────────

/** The compact history kept for a year: enough for sparklines and week-over-week diffs. */
export interface HistoryEntry {
  domain: string;
  checkedAt: Date;
  grade: Grade;
  score: number;
  /** the report's distinct finding codes, sorted */
  codes: string[];
  /** the policies senders applied and the checks that could not be completed; absent for rows from before they were kept */
  facts?: ReportFacts;
}

// ─── digest runs and deliveries ─────────────────────────────────────────────────────────────

/**
 * - `claimed`: the period is taken; nothing recorded yet (a crash here leaves a stalled run)
 * - `delivering`: at least one delivery intent recorded, some not delivered yet
 * - `delivered`: every recorded delivery was posted
 * - `failed`: a delivery failed permanently
 * - `skipped`: the runner decided to post nothing (e.g. the channel watches no domain)
 */
export type DigestRunStatus = 'claimed' | 'delivering' | 'delivered' | 'failed' | 'skipped';

export interface DigestRun {
  /** the claim token; ≤ 25 characters */
  id: string;
  channel: ChannelRef;
  /** e.g. "2026-W48" (ISO week) for weekly digests */
  periodKey: string;
  status: DigestRunStatus;
  /** why it was skipped or failed */
  note: string | null;
  claimedAt: Date;
  updatedAt: Date;
}

/** What a successful {@link Store.claimDigest} returns. */
export interface DigestClaim {
  runId: string;
  channel: ChannelRef;
  periodKey: string;
  claimedAt: Date;
}

/**
 * - `pending`: intent recorded; the post may or may not have happened (crash window), or it
 *   failed transiently (`failures` > 0, `lastError` set) and may be retried
 * - `delivered`: posted; `messageId` is the platform's message id
 * - `failed`: failed permanently
 */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface Delivery {
  /**
   * ≤ 25 characters of [0-9a-f]: fits a Discord message `nonce` (with `enforce_nonce`) or Slack
   * message metadata, so a reconciler can recognise a message that was posted before a crash.
   */
  id: string;
  runId: string;
  channel: ChannelRef;
  periodKey: string;
  /** 0, 1, 2… in the order the intents were recorded (a digest may take several messages) */
  part: number;
  status: DeliveryStatus;
  /** opaque JSON the runner recorded with the intent (e.g. the rendered message or its hash) */
  payload: unknown;
  messageId: string | null;
  /** transient failures so far */
  failures: number;
  lastError: string | null;
  intentAt: Date;
  deliveredAt: Date | null;
  updatedAt: Date;
}

export interface DeliveryFailure {
  /** permanent (channel gone, bot removed, missing access): fails the run and disables the schedule */
  permanent: boolean;
  /** short, human-readable; never include tokens */
  reason: string;
}

// ─── retention ──────────────────────────────────────────────────────────────────────────────

/** Compact history, finished digest runs and stale full reports are kept this long. */
export const RETENTION_MONTHS = 12;

export interface PruneResult {
  /** compact history rows older than the retention */
  historyRows: number;
  /** full reports that were not the latest for their domain, or older than the retention */
  reports: number;
  /** finished (delivered, failed, skipped) digest runs claimed before the retention, with their deliveries */
  digestRuns: number;
}

// ─── the store ──────────────────────────────────────────────────────────────────────────────

export interface Store {
  readonly kind: 'sqlite' | 'postgres';

  // installations
  /** Insert or update by (platform, workspaceId). A new install after a revoke clears `revokedAt` and restarts `installedAt`. */
  upsertInstallation(input: InstallationInput): Promise<Installation>;
  /** The installation, or null; revoked ones only with `includeRevoked`. */
  getInstallation(workspace: WorkspaceRef, options?: { includeRevoked?: boolean }): Promise<Installation | null>;
  /** Installations ordered by platform and workspace id; revoked ones only with `includeRevoked`. */
  listInstallations(options?: { platform?: Platform; includeRevoked?: boolean }): Promise<Installation[]>;
  /** Mark revoked and forget the secrets; channels of a revoked workspace are never due. False when unknown or already revoked. */
  revokeInstallation(workspace: WorkspaceRef): Promise<boolean>;

  // watch lists
  /**
   * Watch a domain in a channel. Duplicates are a no-op (`added: false`). Throws
   * {@link InvalidDomainError} for bad input and {@link WatchLimitError} past {@link WATCH_LIMIT}.
   */
  watch(channel: ChannelRef, domain: string, options?: { addedBy?: string | null }): Promise<WatchResult>;
  /** Stop watching; a domain not watched is a no-op (`removed: false`). Throws {@link InvalidDomainError}. */
  unwatch(channel: ChannelRef, domain: string): Promise<UnwatchResult>;
  /** The channel's watched domains, ordered by domain. */
  watchList(channel: ChannelRef): Promise<WatchEntry[]>;
  /** Every domain some channel watches, distinct, ordered. */
  watchedDomains(): Promise<string[]>;
  /** the channels of a workspace that watch at least one domain, ordered by channel id (App Home) */
  watchingChannels(workspace: WorkspaceRef): Promise<ChannelRef[]>;

  // schedules
  getSchedule(channel: ChannelRef): Promise<Schedule | null>;
  /** Create (with defaults) or update the channel's schedule; see {@link SchedulePatch}. Throws {@link InvalidScheduleError}. */
  setSchedule(channel: ChannelRef, patch?: SchedulePatch): Promise<Schedule>;
  /** Disable the schedule and record why (created disabled, with defaults, if the channel had none). */
  disableSchedule(channel: ChannelRef, reason: string): Promise<Schedule>;
  /** Record the scheduler's next planned run (UTC) without touching `updatedAt`. No-op when the channel has no schedule. */
  setNextRunAt(channel: ChannelRef, nextRunAt: Date | null): Promise<void>;
  /** Enabled schedules with `nextRunAt <= now`, earliest first, excluding workspaces whose installation is revoked. */
  dueChannels(now: Date): Promise<Schedule[]>;
  /** Enabled schedules with no `nextRunAt`: the scheduler should plan them. */
  unplannedSchedules(): Promise<Schedule[]>;

  // check history
  /**
   * Keep a report: the full report (the latest per domain survives pruning) and a compact
   * history row. Saving the same report (domain and checkedAt) again replaces it.
   * Throws {@link InvalidReportError} when it does not match the report schema.
   */
  saveReport(report: Report): Promise<HistoryEntry>;
  /** The most recent full report for the domain (by checkedAt), validated on the way out. */
  latestReport(domain: string): Promise<Report | null>;
  /** Compact rows with `since <= checkedAt < until` (until: unbounded when absent), oldest first. */
  history(domain: string, since: Date, until?: Date): Promise<HistoryEntry[]>;

  // digest runs and deliveries
  /**
   * Claim the digest of a period for a channel, once: the first caller gets a claim, every later
   * caller (this process or another) gets null. Weekly digests use the ISO week ("2026-W48");
   * other once-only posts may use keys of their own (e.g. "alert:example.com:2026-11-30").
   */
  claimDigest(channel: ChannelRef, periodKey: string): Promise<DigestClaim | null>;
  getDigestRun(channel: ChannelRef, periodKey: string): Promise<DigestRun | null>;
  /** Runs still `claimed` (no intent recorded) that were claimed before the given time: a crash between claim and intent. */
  stalledRuns(claimedBefore: Date): Promise<DigestRun[]>;
  /** Mark a claimed run as finished without posting. Throws {@link NotFoundError}. */
  skipRun(runId: string, reason: string): Promise<DigestRun>;
  /**
   * Record that a message is about to be posted, before posting it. Record every part of a
   * multi-message digest before posting the first: the run counts as delivered when no recorded
   * part is pending. Throws {@link NotFoundError} for an unknown run.
   */
  recordDeliveryIntent(runId: string, payload?: unknown): Promise<Delivery>;
  /** Posted: record the platform's message id. Idempotent. Throws {@link NotFoundError}. */
  markDelivered(deliveryId: string, messageId: string): Promise<Delivery>;
  /**
   * Posting failed. Transient: stays pending with `failures` + 1 and `lastError`. Permanent:
   * the delivery and the run fail, other pending parts of the run fail too, and the channel's
   * schedule is disabled with the reason. Throws {@link NotFoundError}.
   */
  markDeliveryFailed(deliveryId: string, failure: DeliveryFailure): Promise<Delivery>;
  /**
   * Pending deliveries (intent recorded, not delivered, not failed permanently), oldest intent
   * first: after a restart, reconcile each one (look for the posted message, or post again).
   * `intentBefore` leaves out deliveries another worker may still be posting.
   */
  pendingDeliveries(options?: { intentBefore?: Date }): Promise<Delivery[]>;
  /** The run's deliveries in part order. */
  deliveries(runId: string): Promise<Delivery[]>;

  // maintenance
  /**
   * Apply the retention ({@link RETENTION_MONTHS}, counted back from `now`): drop compact rows,
   * full reports that are not the latest for their domain (and latest ones older than the
   * retention), and finished digest runs. Call it on a schedule (e.g. daily).
   */
  prune(now: Date): Promise<PruneResult>;
  close(): Promise<void>;
}

/** Options every implementation accepts. */
export interface StoreOptions {
  /** the clock for timestamps the store sets itself (installedAt, updatedAt, claimedAt, intentAt…) */
  now?: () => Date;
}

// ─── errors ─────────────────────────────────────────────────────────────────────────────────

export class StoreError extends Error {
  override name = 'StoreError';
}

/** A domain the checker would refuse (the message says why, as the CLI does). */
export class InvalidDomainError extends StoreError {
  override name = 'InvalidDomainError';
  readonly input: string;
  constructor(input: string, reason: string) {
    super(reason);
    this.input = input;
  }
}

export class WatchLimitError extends StoreError {
  override name = 'WatchLimitError';
  readonly limit: number;
  readonly domain: string;
  constructor(domain: string, limit: number = WATCH_LIMIT) {
    super(`This channel already watches ${limit} domains, the most allowed; unwatch one before adding ${domain}.`);
    this.limit = limit;
    this.domain = domain;
  }
}

export class InvalidScheduleError extends StoreError {
  override name = 'InvalidScheduleError';
}

export class InvalidReportError extends StoreError {
  override name = 'InvalidReportError';
}

export class NotFoundError extends StoreError {
  override name = 'NotFoundError';
}

/** The database was written by a newer Posture (its schema version is unknown here). */
export class SchemaVersionError extends StoreError {
  override name = 'SchemaVersionError';
}

/** DATABASE_URL names no store this build supports. */
export class DatabaseUrlError extends StoreError {
  override name = 'DatabaseUrlError';
}

/**
 * The scale-out store: PostgreSQL through a `pg` connection pool, for several Posture instances
 * sharing one database. Same tables, semantics and contract suite as the SQLite store
 * (`test/store/contract.ts`); the schema comes from `postgres-migrations.ts`, applied at start
 * under an advisory lock so instances starting together apply it once.
 *
 * Concurrency (READ COMMITTED, row locks rather than retries):
 * - a channel's watch list and schedule change under a lock on the channel's row
 *   (`SELECT … FOR NO KEY UPDATE`), so the watch limit holds across instances;
 * - a digest run's deliveries change under a lock on the run's row, so parts are numbered once
 *   and the run's status follows all of them;
 * - claims rely on the unique (channel, period) key and `ON CONFLICT DO NOTHING`.
 * Locks are always taken in the order run → delivery → channel → schedule, so they cannot
 * deadlock; a transaction that still fails with a serialization failure or deadlock is retried.
 *
 * Everything read back is validated with zod, as in SQLite; full reports with the report schema.
 */
import pg from 'pg';
import { z } from 'zod';
import { reportSchema } from '../checker/report-schema.ts';
import type { Report } from '../checker/types.ts';
import { checkSchemaName, migratePostgres, type Queryable } from './postgres-migrations.ts';
import {
  DEFAULT_TIME,
  DEFAULT_TIME_ZONE,
  DEFAULT_WEEKDAY,
  InvalidReportError,
  NotFoundError,
  StoreError,
  WATCH_LIMIT,
  WatchLimitError,
  type ChannelRef,
  type Delivery,
  type DeliveryFailure,
  type DigestClaim,
  type DigestRun,
  type DigestRunStatus,
  type HistoryEntry,
  type Installation,
  type InstallationInput,
  type Platform,
  type PruneResult,
  type Schedule,
  type SchedulePatch,
  type Store,
  type StoreOptions,
  type UnwatchResult,
  type WatchEntry,
  type WatchResult,
  type Weekday,
  type WorkspaceRef,
} from './types.ts';
import { reportFacts, type ReportFacts } from '../checker/facts.ts';
import {
  MAX_TEXT,
  factsSchema,
  checkChannel,
  checkPatch,
  checkPeriodKey,
  checkPlatform,
  checkTimeZone,
  checkWorkspace,
  firstIssue,
  findingCodes,
  newId,
  optionalText,
  requiredText,
  retentionCutoff,
  toDomain,
  toJson,
  toMs,
} from './validate.ts';

export interface PostgresStoreOptions extends StoreOptions {
  /**
   * Keep the tables in this schema (created when missing): every pooled connection starts with
   * `search_path` set to it. A lower-case identifier. Default: the connection's own search_path
   * (usually `public`).
   */
  schema?: string;
  /** most connections the pool opens (default 10) */
  maxConnections?: number;
  /** how long to wait for a connection before failing (ms, default 10000) */
  connectTimeoutMs?: number;
  /** reported to the server (`pg_stat_activity.application_name`); default "posture" */
  applicationName?: string;
  /**
   * Errors of idle pooled connections (the server restarted, the network dropped): the pool
   * discards the connection and opens a new one when needed. Default: ignored.
   */
  onError?: (err: Error) => void;
}

export const DEFAULT_MAX_CONNECTIONS = 10;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** SQLSTATEs worth running a transaction again for: serialization failure, deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 3;

// ─── rows read back, validated ──────────────────────────────────────────────────────────────

const at = z.date();
const platform = z.enum(['slack', 'discord']);

const installationRow = z.object({
  platform,
  workspace_id: z.string(),
  workspace_name: z.string().nullable(),
  secrets: z.unknown(),
  installed_by: z.string().nullable(),
  time_zone: z.string().nullable(),
  installed_at: at,
  updated_at: at,
  revoked_at: at.nullable(),
});

const channelCols = { platform, workspace_id: z.string(), channel_id: z.string() };

const watchRow = z.object({ ...channelCols, domain: z.string(), added_by: z.string().nullable(), added_at: at });

const scheduleRow = z.object({
  ...channelCols,
  weekday: z.number().int().min(1).max(7),
  time: z.string(),
  time_zone: z.string(),
  enabled: z.boolean(),
  disabled_reason: z.string().nullable(),
  alert_on_regression: z.boolean(),
  next_run_at: at.nullable(),
  created_at: at,
  updated_at: at,
});

const historyRow = z.object({
  domain: z.string(),
  checked_at: at,
  grade: z.enum(['A', 'B', 'C', 'D', 'F']),
  score: z.number().int().min(0).max(100),
  codes: z.unknown(),
  facts: z.unknown(),
});
const codesSchema = z.array(z.string());

const runStatus = z.enum(['claimed', 'delivering', 'delivered', 'failed', 'skipped']);
const runRow = z.object({
  ...channelCols,
  id: z.string(),
  period_key: z.string(),
  status: runStatus,
  note: z.string().nullable(),
  claimed_at: at,
  updated_at: at,
});

const deliveryRow = z.object({
  ...channelCols,
  id: z.string(),
  run_id: z.string(),
  period_key: z.string(),
  part: z.number().int(),
  status: z.enum(['pending', 'delivered', 'failed']),
  payload: z.unknown(),
  message_id: z.string().nullable(),
  failures: z.number().int(),
  last_error: z.string().nullable(),
  intent_at: at,
  delivered_at: at.nullable(),
  updated_at: at,
});

const SCHEDULE_COLS = `s.weekday, s.time, s.time_zone, s.enabled, s.disabled_reason, s.alert_on_regression,
  s.next_run_at, s.created_at, s.updated_at, c.platform, c.workspace_id, c.channel_id`;
const SCHEDULE_SELECT = `SELECT ${SCHEDULE_COLS} FROM schedules s JOIN channels c ON c.id = s.channel`;
const RUN_SELECT = `
  SELECT r.id, r.period_key, r.status, r.note, r.claimed_at, r.updated_at, c.platform, c.workspace_id, c.channel_id
  FROM digest_runs r JOIN channels c ON c.id = r.channel`;
const DELIVERY_SELECT = `
  SELECT d.id, d.run_id, d.part, d.status, d.payload, d.message_id, d.failures, d.last_error, d.intent_at,
         d.delivered_at, d.updated_at, r.period_key, c.platform, c.workspace_id, c.channel_id
  FROM deliveries d JOIN digest_runs r ON r.id = d.run_id JOIN channels c ON c.id = r.channel`;
const CHANNEL_WHERE = 'platform = $1 AND workspace_id = $2 AND channel_id = $3';

// ─── the store ──────────────────────────────────────────────────────────────────────────────

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  /** the schema the store's tables live in, when one was given */
  readonly schema: string | null;
  /** migration versions this instance applied when it opened (empty when the schema was current) */
  readonly migrated: number[];
  private readonly pool: pg.Pool;
  private readonly now: () => Date;
  private closed = false;

  private constructor(pool: pg.Pool, schema: string | null, migrated: number[], now: () => Date) {
    this.pool = pool;
    this.schema = schema;
    this.migrated = migrated;
    this.now = now;
  }

  /**
   * Connect to `url` (`postgres://…`), bring the schema up to date and return the store.
   * Errors never repeat the URL (it may carry a password).
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const schema = options.schema === undefined ? null : checkSchemaName(options.schema);
    const now = options.now ?? (() => new Date());
    const pool = new pg.Pool(poolConfig(url, schema, options));
    const onError = options.onError;
    pool.on('error', (err) => onError?.(err));
    try {
      const client = await pool.connect();
      let migrated: number[];
      try {
        migrated = await migratePostgres(client, { schema, now });
      } catch (err) {
        client.release(true);
        throw err;
      }
      client.release();
      return new PostgresStore(pool, schema, migrated, now);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
  }

  // ── installations ────────────────────────────────────────────────────────────────────────

  async upsertInstallation(input: InstallationInput): Promise<Installation> {
    const ws = checkWorkspace(input);
    const secrets = toJson(input.secrets, 'installation secrets');
    const workspaceName = optionalText(input.workspaceName, 'workspaceName');
    const installedBy = optionalText(input.installedBy, 'installedBy');
    const timeZone = input.timeZone === undefined || input.timeZone === null ? input.timeZone : checkTimeZone(input.timeZone);
    const now = this.clock();
    // one statement: insert, or update keeping what the input leaves undefined
    const rows = await this.rows(
      this.pool,
      `INSERT INTO installations AS i (platform, workspace_id, workspace_name, secrets, installed_by, time_zone,
         installed_at, updated_at, revoked_at) VALUES ($1, $2, $3, $4::json, $5, $6, $7, $7, NULL)
       ON CONFLICT (platform, workspace_id) DO UPDATE SET
         workspace_name = CASE WHEN $8::boolean THEN i.workspace_name ELSE EXCLUDED.workspace_name END,
         secrets = EXCLUDED.secrets,
         installed_by = CASE WHEN $9::boolean THEN i.installed_by ELSE EXCLUDED.installed_by END,
         time_zone = CASE WHEN $10::boolean THEN i.time_zone ELSE EXCLUDED.time_zone END,
         installed_at = CASE WHEN i.revoked_at IS NULL THEN i.installed_at ELSE EXCLUDED.installed_at END,
         updated_at = EXCLUDED.updated_at,
         revoked_at = NULL
       RETURNING *`,
      [
        ws.platform, ws.workspaceId, workspaceName ?? null, secrets, installedBy ?? null, timeZone ?? null, now,
        workspaceName === undefined, installedBy === undefined, timeZone === undefined,
      ],
    );
    return toInstallation(rows[0]);
  }

  async getInstallation(workspace: WorkspaceRef, options: { includeRevoked?: boolean } = {}): Promise<Installation | null> {
    const ws = checkWorkspace(workspace);
    const rows = await this.rows(
      this.pool,
      'SELECT * FROM installations WHERE platform = $1 AND workspace_id = $2 AND ($3::boolean OR revoked_at IS NULL)',
      [ws.platform, ws.workspaceId, options.includeRevoked === true],
    );
    return rows[0] ? toInstallation(rows[0]) : null;
  }

  async listInstallations(options: { platform?: Platform; includeRevoked?: boolean } = {}): Promise<Installation[]> {
    if (options.platform !== undefined) checkPlatform(options.platform);
    const rows = await this.rows(
      this.pool,
      `SELECT * FROM installations WHERE ($1::text IS NULL OR platform = $1::text) AND ($2::boolean OR revoked_at IS NULL)
       ORDER BY platform, workspace_id`,
      [options.platform ?? null, options.includeRevoked === true],
    );
    return rows.map(toInstallation);
  }

  async revokeInstallation(workspace: WorkspaceRef): Promise<boolean> {
    const ws = checkWorkspace(workspace);
    const now = this.clock();
    const res = await this.exec(
      this.pool,
      `UPDATE installations SET revoked_at = $1, secrets = NULL, updated_at = $1
       WHERE platform = $2 AND workspace_id = $3 AND revoked_at IS NULL`,
      [now, ws.platform, ws.workspaceId],
    );
    return (res.rowCount ?? 0) > 0;
  }

  // ── watch lists ──────────────────────────────────────────────────────────────────────────

  async watch(channel: ChannelRef, domain: string, options: { addedBy?: string | null } = {}): Promise<WatchResult> {
    const ch = checkChannel(channel);
    const name = toDomain(domain);
    const addedBy = optionalText(options.addedBy, 'addedBy') ?? null;
    const now = this.clock();
    return this.tx(async (db) => {
      const id = await this.lockChannel(db, ch, now);
      const count = await this.watchCount(db, id);
      const dup = await this.rows(db, 'SELECT 1 AS x FROM watches WHERE channel = $1 AND domain = $2', [id, name]);
      if (dup.length > 0) return { added: false, domain: name, count };
      if (count >= WATCH_LIMIT) throw new WatchLimitError(name, WATCH_LIMIT);
      await this.exec(db, 'INSERT INTO watches (channel, domain, added_by, added_at) VALUES ($1, $2, $3, $4)', [
        id, name, addedBy, now,
      ]);
      return { added: true, domain: name, count: count + 1 };
    });
  }

  async unwatch(channel: ChannelRef, domain: string): Promise<UnwatchResult> {
    const ch = checkChannel(channel);
    const name = toDomain(domain);
    return this.tx(async (db) => {
      const id = await this.channelId(db, ch, { lock: true });
      if (id === undefined) return { removed: false, domain: name, count: 0 };
      const res = await this.exec(db, 'DELETE FROM watches WHERE channel = $1 AND domain = $2', [id, name]);
      return { removed: (res.rowCount ?? 0) > 0, domain: name, count: await this.watchCount(db, id) };
    });
  }

  async watchList(channel: ChannelRef): Promise<WatchEntry[]> {
    const ch = checkChannel(channel);
    const rows = await this.rows(
      this.pool,
      `SELECT w.domain, w.added_by, w.added_at, c.platform, c.workspace_id, c.channel_id
       FROM watches w JOIN channels c ON c.id = w.channel
       WHERE c.platform = $1 AND c.workspace_id = $2 AND c.channel_id = $3 ORDER BY w.domain`,
      [ch.platform, ch.workspaceId, ch.channelId],
    );
    return rows.map((r) => {
      const row = parseRow(watchRow, r, 'watch');
      return { channel: channelOf(row), domain: row.domain, addedBy: row.added_by, addedAt: row.added_at };
    });
  }

  async watchedDomains(): Promise<string[]> {
    const rows = await this.rows(this.pool, 'SELECT DISTINCT domain FROM watches ORDER BY domain', []);
    return rows.map((r) => parseRow(z.object({ domain: z.string() }), r, 'watch').domain);
  }

  async watchingChannels(workspace: WorkspaceRef): Promise<ChannelRef[]> {
    const ws = checkWorkspace(workspace);
    const rows = await this.rows(
      this.pool,
      `SELECT DISTINCT c.channel_id FROM channels c JOIN watches w ON w.channel = c.id
       WHERE c.platform = $1 AND c.workspace_id = $2 ORDER BY c.channel_id`,
      [ws.platform, ws.workspaceId],
    );
    return rows.map((r) => ({ platform: ws.platform, workspaceId: ws.workspaceId, channelId: parseRow(z.object({ channel_id: z.string() }), r, 'channel').channel_id }));
  }

  // ── schedules ────────────────────────────────────────────────────────────────────────────

  async getSchedule(channel: ChannelRef): Promise<Schedule | null> {
    return (await this.scheduleOf(this.pool, checkChannel(channel), false)) ?? null;
  }

  async setSchedule(channel: ChannelRef, changes: SchedulePatch = {}): Promise<Schedule> {
    const ch = checkChannel(channel);
    const patch = checkPatch(changes);
    const now = this.clock();
    return this.tx(async (db) => {
      const id = await this.lockChannel(db, ch, now);
      const found = await this.scheduleOf(db, ch, true);
      if (!found) {
        await this.exec(
          db,
          `INSERT INTO schedules (channel, weekday, time, time_zone, enabled, disabled_reason, alert_on_regression,
             next_run_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $8)`,
          [
            id,
            patch.weekday ?? DEFAULT_WEEKDAY,
            patch.time ?? DEFAULT_TIME,
            patch.timeZone ?? (await this.defaultTimeZone(db, ch)),
            patch.enabled ?? true,
            patch.alertOnRegression ?? false,
            patch.nextRunAt ? toDate(patch.nextRunAt, 'nextRunAt') : null,
            now,
          ],
        );
      } else {
        const weekday = patch.weekday ?? found.weekday;
        const time = patch.time ?? found.time;
        const timeZone = patch.timeZone ?? found.timeZone;
        const enabled = patch.enabled ?? found.enabled;
        const replanned =
          weekday !== found.weekday || time !== found.time || timeZone !== found.timeZone || (enabled && !found.enabled);
        let nextRunAt = found.nextRunAt;
        if (patch.nextRunAt !== undefined) nextRunAt = patch.nextRunAt ? toDate(patch.nextRunAt, 'nextRunAt') : null;
        else if (replanned) nextRunAt = null;
        const disabledReason = patch.enabled === undefined ? found.disabledReason : null;
        await this.exec(
          db,
          `UPDATE schedules SET weekday = $1, time = $2, time_zone = $3, enabled = $4, disabled_reason = $5,
             alert_on_regression = $6, next_run_at = $7, updated_at = $8 WHERE channel = $9`,
          [
            weekday, time, timeZone, enabled, disabledReason,
            patch.alertOnRegression ?? found.alertOnRegression, nextRunAt, now, id,
          ],
        );
      }
      return (await this.scheduleOf(db, ch, false))!;
    });
  }

  async disableSchedule(channel: ChannelRef, reason: string): Promise<Schedule> {
    const ch = checkChannel(channel);
    const why = requiredText(reason, 'reason');
    const now = this.clock();
    return this.tx(async (db) => {
      await this.disableScheduleTx(db, ch, why, now);
      return (await this.scheduleOf(db, ch, false))!;
    });
  }

  async setNextRunAt(channel: ChannelRef, nextRunAt: Date | null): Promise<void> {
    const ch = checkChannel(channel);
    const next = nextRunAt === null ? null : toDate(nextRunAt, 'nextRunAt');
    await this.exec(
      this.pool,
      `UPDATE schedules SET next_run_at = $4
       WHERE channel = (SELECT id FROM channels WHERE ${CHANNEL_WHERE})`,
      [ch.platform, ch.workspaceId, ch.channelId, next],
    );
  }

  async dueChannels(now: Date): Promise<Schedule[]> {
    const rows = await this.rows(
      this.pool,
      `${SCHEDULE_SELECT}
       LEFT JOIN installations i ON i.platform = c.platform AND i.workspace_id = c.workspace_id
       WHERE s.enabled AND s.next_run_at IS NOT NULL AND s.next_run_at <= $1 AND i.revoked_at IS NULL
       ORDER BY s.next_run_at, c.platform, c.workspace_id, c.channel_id`,
      [toDate(now, 'now')],
    );
    return rows.map(toSchedule);
  }

  async unplannedSchedules(): Promise<Schedule[]> {
    const rows = await this.rows(
      this.pool,
      `${SCHEDULE_SELECT} WHERE s.enabled AND s.next_run_at IS NULL
       ORDER BY c.platform, c.workspace_id, c.channel_id`,
      [],
    );
    return rows.map(toSchedule);
  }

  // ── check history ────────────────────────────────────────────────────────────────────────

  async saveReport(report: Report): Promise<HistoryEntry> {
    const parsed = reportSchema.safeParse(report);
    if (!parsed.success) throw new InvalidReportError(`not a valid ${'posture.report/v1'} report: ${firstIssue(parsed.error)}`);
    const r = parsed.data;
    const checkedAt = new Date(Date.parse(r.checkedAt));
    const codes = findingCodes(r as Report);
    const facts = reportFacts(r as Report);
    const text = JSON.stringify(r);
    await this.tx(async (db) => {
      await this.exec(
        db,
        `INSERT INTO reports (domain, checked_at, report) VALUES ($1, $2, $3::json)
         ON CONFLICT (domain, checked_at) DO UPDATE SET report = EXCLUDED.report`,
        [r.domain, checkedAt, text],
      );
      await this.exec(
        db,
        `INSERT INTO history (domain, checked_at, grade, score, codes, facts) VALUES ($1, $2, $3, $4, $5::jsonb, $6::json)
         ON CONFLICT (domain, checked_at) DO UPDATE SET grade = EXCLUDED.grade, score = EXCLUDED.score, codes = EXCLUDED.codes, facts = EXCLUDED.facts`,
        [r.domain, checkedAt, r.grade, r.score, JSON.stringify(codes), JSON.stringify(facts)],
      );
    });
    return { domain: r.domain, checkedAt, grade: r.grade, score: r.score, codes, facts };
  }

  async latestReport(domain: string): Promise<Report | null> {
    const name = toDomain(domain);
    const rows = await this.rows(
      this.pool,
      'SELECT report FROM reports WHERE domain = $1 ORDER BY checked_at DESC LIMIT 1',
      [name],
    );
    if (!rows[0]) return null;
    const parsed = reportSchema.safeParse(rows[0]['report']);
    if (!parsed.success) throw new StoreError(`the stored report of ${name} is not valid: ${firstIssue(parsed.error)}`);
    return parsed.data as Report;
  }

  async history(domain: string, since: Date, until?: Date): Promise<HistoryEntry[]> {
    const name = toDomain(domain);
    const rows = await this.rows(
      this.pool,
      `SELECT domain, checked_at, grade, score, codes, facts FROM history
       WHERE domain = $1 AND checked_at >= $2 AND ($3::timestamptz IS NULL OR checked_at < $3::timestamptz)
       ORDER BY checked_at`,
      [name, toDate(since, 'since'), until ? toDate(until, 'until') : null],
    );
    return rows.map((r) => {
      const row = parseRow(historyRow, r, 'history');
      const codes = codesSchema.safeParse(row.codes);
      if (!codes.success) throw new StoreError(`history codes of ${name}: stored JSON is corrupt (${firstIssue(codes.error)})`);
      const entry: HistoryEntry = { domain: row.domain, checkedAt: row.checked_at, grade: row.grade, score: row.score, codes: codes.data };
      if (row.facts !== null && row.facts !== undefined) {
        const facts = factsSchema.safeParse(row.facts);
        if (!facts.success) throw new StoreError(`history facts of ${name}: stored JSON is corrupt (${firstIssue(facts.error)})`);
        entry.facts = facts.data as ReportFacts;
      }
      return entry;
    });
  }

  // ── digest runs and deliveries ───────────────────────────────────────────────────────────

  async claimDigest(channel: ChannelRef, periodKey: string): Promise<DigestClaim | null> {
    const ch = checkChannel(channel);
    const key = checkPeriodKey(periodKey);
    const now = this.clock();
    return this.tx(async (db) => {
      const chId = await this.ensureChannel(db, ch, now);
      const id = newId();
      const res = await this.exec(
        db,
        `INSERT INTO digest_runs (id, channel, period_key, status, note, claimed_at, updated_at)
         VALUES ($1, $2, $3, 'claimed', NULL, $4, $4) ON CONFLICT (channel, period_key) DO NOTHING`,
        [id, chId, key, now],
      );
      if (res.rowCount !== 1) return null;
      return { runId: id, channel: { ...ch }, periodKey: key, claimedAt: now };
    });
  }

  async getDigestRun(channel: ChannelRef, periodKey: string): Promise<DigestRun | null> {
    const ch = checkChannel(channel);
    const key = checkPeriodKey(periodKey);
    const rows = await this.rows(
      this.pool,
      `${RUN_SELECT} WHERE c.platform = $1 AND c.workspace_id = $2 AND c.channel_id = $3 AND r.period_key = $4`,
      [ch.platform, ch.workspaceId, ch.channelId, key],
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  async stalledRuns(claimedBefore: Date): Promise<DigestRun[]> {
    const rows = await this.rows(
      this.pool,
      `${RUN_SELECT} WHERE r.status = 'claimed' AND r.claimed_at < $1 ORDER BY r.claimed_at, r.id`,
      [toDate(claimedBefore, 'claimedBefore')],
    );
    return rows.map(toRun);
  }

  async skipRun(runId: string, reason: string): Promise<DigestRun> {
    const id = requiredText(runId, 'runId');
    const why = requiredText(reason, 'reason');
    const now = this.clock();
    return this.tx(async (db) => {
      const status = await this.lockRun(db, id);
      if (status !== 'skipped') {
        if (status !== 'claimed') throw new StoreError(`digest run ${id} is ${status}; only a claimed run can be skipped`);
        await this.exec(db, `UPDATE digest_runs SET status = 'skipped', note = $1, updated_at = $2 WHERE id = $3`, [
          why, now, id,
        ]);
      }
      return this.runById(db, id);
    });
  }

  async recordDeliveryIntent(runId: string, payload?: unknown): Promise<Delivery> {
    const id = requiredText(runId, 'runId');
    const json = payload === undefined ? null : toJson(payload, 'delivery payload');
    const now = this.clock();
    return this.tx(async (db) => {
      const status = await this.lockRun(db, id);
      if (status === 'failed' || status === 'skipped') {
        throw new StoreError(`digest run ${id} is ${status}; nothing more may be posted for it`);
      }
      const deliveryId = newId();
      await this.exec(
        db,
        `INSERT INTO deliveries (id, run_id, part, status, payload, message_id, failures, last_error, intent_at,
           delivered_at, updated_at)
         SELECT $1, $2, COALESCE(MAX(part) + 1, 0), 'pending', $3::json, NULL, 0, NULL, $4, NULL, $4
         FROM deliveries WHERE run_id = $2`,
        [deliveryId, id, json, now],
      );
      await this.exec(db, `UPDATE digest_runs SET status = 'delivering', updated_at = $1 WHERE id = $2`, [now, id]);
      return this.deliveryById(db, deliveryId);
    });
  }

  async markDelivered(deliveryId: string, messageId: string): Promise<Delivery> {
    const id = requiredText(deliveryId, 'deliveryId');
    const msg = requiredText(messageId, 'messageId');
    const now = this.clock();
    return this.tx(async (db) => {
      const d = await this.lockDelivery(db, id);
      if (d.status === 'delivered') return d;
      await this.exec(
        db,
        `UPDATE deliveries SET status = 'delivered', message_id = $1, delivered_at = $2, updated_at = $2 WHERE id = $3`,
        [msg, now, id],
      );
      await this.settleRun(db, d.runId, now);
      return this.deliveryById(db, id);
    });
  }

  async markDeliveryFailed(deliveryId: string, failure: DeliveryFailure): Promise<Delivery> {
    const id = requiredText(deliveryId, 'deliveryId');
    const reason = requiredText(failure.reason, 'reason').slice(0, MAX_TEXT);
    const now = this.clock();
    return this.tx(async (db) => {
      const d = await this.lockDelivery(db, id);
      if (d.status !== 'pending') return d;
      if (!failure.permanent) {
        await this.exec(
          db,
          'UPDATE deliveries SET failures = failures + 1, last_error = $1, updated_at = $2 WHERE id = $3',
          [reason, now, id],
        );
        return this.deliveryById(db, id);
      }
      await this.exec(db, `UPDATE deliveries SET status = 'failed', last_error = $1, updated_at = $2 WHERE id = $3`, [
        reason, now, id,
      ]);
      await this.exec(
        db,
        `UPDATE deliveries SET status = 'failed', last_error = $1, updated_at = $2 WHERE run_id = $3 AND status = 'pending'`,
        [`not posted: part ${d.part} failed permanently (${reason})`.slice(0, MAX_TEXT), now, d.runId],
      );
      await this.exec(db, `UPDATE digest_runs SET status = 'failed', note = $1, updated_at = $2 WHERE id = $3`, [
        reason, now, d.runId,
      ]);
      await this.disableScheduleTx(db, d.channel, reason, now);
      return this.deliveryById(db, id);
    });
  }

  async pendingDeliveries(options: { intentBefore?: Date } = {}): Promise<Delivery[]> {
    const before = options.intentBefore ? toDate(options.intentBefore, 'intentBefore') : null;
    const rows = await this.rows(
      this.pool,
      `${DELIVERY_SELECT} WHERE d.status = 'pending' AND ($1::timestamptz IS NULL OR d.intent_at < $1::timestamptz)
       ORDER BY d.intent_at, d.run_id, d.part`,
      [before],
    );
    return rows.map(toDelivery);
  }

  async deliveries(runId: string): Promise<Delivery[]> {
    const id = requiredText(runId, 'runId');
    const rows = await this.rows(this.pool, `${DELIVERY_SELECT} WHERE d.run_id = $1 ORDER BY d.part`, [id]);
    return rows.map(toDelivery);
  }

  // ── maintenance ──────────────────────────────────────────────────────────────────────────

  async prune(now: Date): Promise<PruneResult> {
    const cutoff = new Date(retentionCutoff(now));
    return this.tx(async (db) => {
      const historyRows = (await this.exec(db, 'DELETE FROM history WHERE checked_at < $1', [cutoff])).rowCount ?? 0;
      const reports =
        (
          await this.exec(
            db,
            `DELETE FROM reports r WHERE r.checked_at < $1
               OR r.checked_at < (SELECT MAX(r2.checked_at) FROM reports r2 WHERE r2.domain = r.domain)`,
            [cutoff],
          )
        ).rowCount ?? 0;
      const digestRuns =
        (
          await this.exec(
            db,
            `DELETE FROM digest_runs WHERE status IN ('delivered', 'failed', 'skipped') AND claimed_at < $1`,
            [cutoff],
          )
        ).rowCount ?? 0;
      return { historyRows, reports, digestRuns };
    });
  }

  /** Read a connection setting (diagnostics and tests). */
  async setting(name: 'search_path' | 'application_name' | 'statement_timeout' | 'TimeZone'): Promise<string> {
    const rows = await this.rows(this.pool, 'SELECT current_setting($1) AS v', [name]);
    return z.string().parse(rows[0]?.['v']);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────

  private clock(): Date {
    return toDate(this.now(), 'the clock');
  }

  private async exec(db: Queryable, sql: string, params: unknown[]): Promise<pg.QueryResult> {
    try {
      return await db.query(sql, params);
    } catch (err) {
      throw storeErrorOf(err);
    }
  }

  private async rows(db: Queryable, sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    return (await this.exec(db, sql, params)).rows as Record<string, unknown>[];
  }

  /**
   * Run `fn` in a transaction on one pooled connection (READ COMMITTED). Retried on a
   * serialization failure or deadlock; `fn` must therefore do nothing outside the database.
   */
  private async tx<T>(fn: (db: Queryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        if (attempt < MAX_ATTEMPTS && RETRYABLE.has(sqlState(err) ?? '')) continue;
        throw err;
      } finally {
        client.release(broken);
      }
    }
  }

  /** The channel's row id, creating the row when asked; optionally locked until the transaction ends. */
  private async channelId(db: Queryable, ch: ChannelRef, how: { lock?: boolean; createdAt?: Date }): Promise<string | undefined> {
    const select = `SELECT id::text AS id FROM channels WHERE ${CHANNEL_WHERE}${how.lock ? ' FOR NO KEY UPDATE' : ''}`;
    const params = [ch.platform, ch.workspaceId, ch.channelId];
    let row = (await this.rows(db, select, params))[0];
    if (!row && how.createdAt) {
      await this.exec(
        db,
        `INSERT INTO channels (platform, workspace_id, channel_id, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (platform, workspace_id, channel_id) DO NOTHING`,
        [...params, how.createdAt],
      );
      row = (await this.rows(db, select, params))[0];
    }
    return row ? parseRow(z.object({ id: z.string() }), row, 'channel').id : undefined;
  }

  /** The channel's row id, created when missing. */
  private async ensureChannel(db: Queryable, ch: ChannelRef, now: Date): Promise<string> {
    return (await this.channelId(db, ch, { createdAt: now }))!;
  }

  /** The channel's row id, created when missing and locked: its watch list and schedule change one writer at a time. */
  private async lockChannel(db: Queryable, ch: ChannelRef, now: Date): Promise<string> {
    return (await this.channelId(db, ch, { lock: true, createdAt: now }))!;
  }

  private async watchCount(db: Queryable, channelRowId: string): Promise<number> {
    const rows = await this.rows(db, 'SELECT COUNT(*)::int AS n FROM watches WHERE channel = $1', [channelRowId]);
    return z.number().int().parse(rows[0]?.['n']);
  }

  private async defaultTimeZone(db: Queryable, ch: ChannelRef): Promise<string> {
    const rows = await this.rows(db, 'SELECT time_zone FROM installations WHERE platform = $1 AND workspace_id = $2', [
      ch.platform, ch.workspaceId,
    ]);
    const tz = rows[0]?.['time_zone'];
    return typeof tz === 'string' ? tz : DEFAULT_TIME_ZONE;
  }

  private async scheduleOf(db: Queryable, ch: ChannelRef, lock: boolean): Promise<Schedule | undefined> {
    const rows = await this.rows(
      db,
      `${SCHEDULE_SELECT} WHERE c.platform = $1 AND c.workspace_id = $2 AND c.channel_id = $3${lock ? ' FOR UPDATE OF s' : ''}`,
      [ch.platform, ch.workspaceId, ch.channelId],
    );
    return rows[0] ? toSchedule(rows[0]) : undefined;
  }

  /** Inside a transaction: disable (creating with defaults when missing) and record why. */
  private async disableScheduleTx(db: Queryable, ch: ChannelRef, reason: string, now: Date): Promise<void> {
    const id = await this.lockChannel(db, ch, now);
    await this.exec(
      db,
      `INSERT INTO schedules (channel, weekday, time, time_zone, enabled, disabled_reason, alert_on_regression,
         next_run_at, created_at, updated_at) VALUES ($1, $2, $3, $4, false, $5, false, NULL, $6, $6)
       ON CONFLICT (channel) DO UPDATE SET enabled = false, disabled_reason = EXCLUDED.disabled_reason,
         next_run_at = NULL, updated_at = EXCLUDED.updated_at`,
      [id, DEFAULT_WEEKDAY, DEFAULT_TIME, await this.defaultTimeZone(db, ch), reason, now],
    );
  }

  /** Lock the run's row until the transaction ends; its status. Throws {@link NotFoundError}. */
  private async lockRun(db: Queryable, id: string): Promise<DigestRunStatus> {
    const rows = await this.rows(db, 'SELECT status FROM digest_runs WHERE id = $1 FOR NO KEY UPDATE', [id]);
    if (!rows[0]) throw new NotFoundError(`no digest run ${id}`);
    return parseRow(z.object({ status: runStatus }), rows[0], 'digest run').status;
  }

  /** Lock the delivery's run, then read the delivery. Throws {@link NotFoundError}. */
  private async lockDelivery(db: Queryable, id: string): Promise<Delivery> {
    const rows = await this.rows(db, 'SELECT run_id FROM deliveries WHERE id = $1', [id]);
    const runId = rows[0]?.['run_id'];
    if (typeof runId !== 'string') throw new NotFoundError(`no delivery ${id}`);
    await this.lockRun(db, runId);
    return this.deliveryById(db, id);
  }

  private async runById(db: Queryable, id: string): Promise<DigestRun> {
    const rows = await this.rows(db, `${RUN_SELECT} WHERE r.id = $1`, [id]);
    if (!rows[0]) throw new NotFoundError(`no digest run ${id}`);
    return toRun(rows[0]);
  }

  private async deliveryById(db: Queryable, id: string): Promise<Delivery> {
    const rows = await this.rows(db, `${DELIVERY_SELECT} WHERE d.id = $1`, [id]);
    if (!rows[0]) throw new NotFoundError(`no delivery ${id}`);
    return toDelivery(rows[0]);
  }

  /** A run's status follows its deliveries: all delivered → delivered; any pending → delivering; else failed. */
  private async settleRun(db: Queryable, runId: string, now: Date): Promise<void> {
    const rows = await this.rows(
      db,
      `SELECT COUNT(*)::int AS total,
              (COUNT(*) FILTER (WHERE status = 'delivered'))::int AS delivered,
              (COUNT(*) FILTER (WHERE status = 'pending'))::int AS pending
       FROM deliveries WHERE run_id = $1`,
      [runId],
    );
    const counts = parseRow(z.object({ total: z.number(), delivered: z.number(), pending: z.number() }), rows[0], 'deliveries');
    const status: DigestRunStatus =
      counts.total > 0 && counts.delivered === counts.total ? 'delivered' : counts.pending > 0 ? 'delivering' : 'failed';
    await this.exec(
      db,
      `UPDATE digest_runs SET status = $1, note = CASE WHEN $1 = 'delivered' THEN NULL ELSE note END, updated_at = $2
       WHERE id = $3`,
      [status, now, runId],
    );
  }
}

// ─── connection ─────────────────────────────────────────────────────────────────────────────

/**
 * The pool's configuration. With a schema, every connection starts with
 * `-c search_path=<schema>` (a startup option, so no query can run before it applies), added to
 * any `options` the URL or PGOPTIONS already carry.
 */
function poolConfig(url: string, schema: string | null, options: PostgresStoreOptions): pg.PoolConfig {
  const config: pg.PoolConfig = {
    connectionString: url,
    max: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    application_name: options.applicationName ?? 'posture',
  };
  if (schema === null) return config;
  let connectionString = url;
  let existing = process.env['PGOPTIONS'] ?? '';
  try {
    const parsed = new URL(url);
    const fromUrl = parsed.searchParams.get('options');
    if (fromUrl !== null) {
      // the URL's options would replace ours: move them over
      parsed.searchParams.delete('options');
      connectionString = parsed.href;
      existing = fromUrl;
    }
  } catch {
    // not a URL pg-connection-string would read differently; keep it as it is
  }
  return { ...config, connectionString, options: `${existing} -c search_path=${schema}`.trim() };
}

/** pg's error for text PostgreSQL cannot hold (a NUL character) becomes a StoreError. */
function storeErrorOf(err: unknown): unknown {
  const code = sqlState(err);
  if (code === '22021' || code === '22P05') {
    return new StoreError('text with a NUL character cannot be stored', { cause: err });
  }
  return err;
}

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

// ─── conversions ────────────────────────────────────────────────────────────────────────────

function toDate(d: Date, what: string): Date {
  return new Date(toMs(d, what));
}

function parseRow<T extends z.ZodType>(schema: T, raw: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new StoreError(`a stored ${what} row is not valid: ${firstIssue(parsed.error)}`);
  return parsed.data;
}

function channelOf(row: { platform: Platform; workspace_id: string; channel_id: string }): ChannelRef {
  return { platform: row.platform, workspaceId: row.workspace_id, channelId: row.channel_id };
}

function toInstallation(raw: unknown): Installation {
  const row = parseRow(installationRow, raw, 'installation');
  return {
    platform: row.platform,
    workspaceId: row.workspace_id,
    workspaceName: row.workspace_name,
    secrets: row.secrets ?? null,
    installedBy: row.installed_by,
    timeZone: row.time_zone,
    installedAt: row.installed_at,
    updatedAt: row.updated_at,
    revokedAt: row.revoked_at,
  };
}

function toSchedule(raw: unknown): Schedule {
  const row = parseRow(scheduleRow, raw, 'schedule');
  return {
    channel: channelOf(row),
    weekday: row.weekday as Weekday,
    time: row.time,
    timeZone: row.time_zone,
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    alertOnRegression: row.alert_on_regression,
    nextRunAt: row.next_run_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRun(raw: unknown): DigestRun {
  const row = parseRow(runRow, raw, 'digest run');
  return {
    id: row.id,
    channel: channelOf(row),
    periodKey: row.period_key,
    status: row.status,
    note: row.note,
    claimedAt: row.claimed_at,
    updatedAt: row.updated_at,
  };
}

function toDelivery(raw: unknown): Delivery {
  const row = parseRow(deliveryRow, raw, 'delivery');
  return {
    id: row.id,
    runId: row.run_id,
    channel: channelOf(row),
    periodKey: row.period_key,
    part: row.part,
    status: row.status,
    payload: row.payload ?? null,
    messageId: row.message_id,
    failures: row.failures,
    lastError: row.last_error,
    intentAt: row.intent_at,
    deliveredAt: row.delivered_at,
    updatedAt: row.updated_at,
  };
}

/**
 * The embedded store: SQLite through `node:sqlite` (`DatabaseSync`), WAL journal, one writer
 * (multi-statement writes take `BEGIN IMMEDIATE`), `busy_timeout` so a second process waits
 * instead of failing, foreign keys on. The file and its directory are created on first start and
 * the schema is brought up to date by `migrations.ts`.
 *
 * Every method is synchronous inside and never awaits within a transaction, so calls from one
 * process cannot interleave; `async` only gives the interface the PostgreSQL store shares.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { z } from 'zod';
import { reportSchema } from '../checker/report-schema.ts';
import type { Report } from '../checker/types.ts';
import { migrateSqlite } from './migrations.ts';
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
  parseJson,
  requiredText,
  retentionCutoff,
  toDomain,
  toJson,
  toMs,
} from './validate.ts';

/** How long a writer waits for another process's lock before failing (ms). */
export const BUSY_TIMEOUT_MS = 5000;

// ─── rows read back, validated ──────────────────────────────────────────────────────────────

const ms = z.number().int();
const platform = z.enum(['slack', 'discord']);

const installationRow = z.object({
  platform,
  workspace_id: z.string(),
  workspace_name: z.string().nullable(),
  secrets: z.string().nullable(),
  installed_by: z.string().nullable(),
  time_zone: z.string().nullable(),
  installed_at: ms,
  updated_at: ms,
  revoked_at: ms.nullable(),
});

const channelCols = { platform, workspace_id: z.string(), channel_id: z.string() };

const watchRow = z.object({ ...channelCols, domain: z.string(), added_by: z.string().nullable(), added_at: ms });

const scheduleRow = z.object({
  ...channelCols,
  weekday: z.number().int().min(1).max(7),
  time: z.string(),
  time_zone: z.string(),
  enabled: z.union([z.literal(0), z.literal(1)]),
  disabled_reason: z.string().nullable(),
  alert_on_regression: z.union([z.literal(0), z.literal(1)]),
  next_run_at: ms.nullable(),
  created_at: ms,
  updated_at: ms,
});

const historyRow = z.object({
  domain: z.string(),
  checked_at: ms,
  grade: z.enum(['A', 'B', 'C', 'D', 'F']),
  score: z.number().int().min(0).max(100),
  codes: z.string(),
  facts: z.string().nullable(),
});
const codesSchema = z.array(z.string());

const runStatus = z.enum(['claimed', 'delivering', 'delivered', 'failed', 'skipped']);
const runRow = z.object({
  ...channelCols,
  id: z.string(),
  channel: z.number().int(),
  period_key: z.string(),
  status: runStatus,
  note: z.string().nullable(),
  claimed_at: ms,
  updated_at: ms,
});

const deliveryRow = z.object({
  ...channelCols,
  id: z.string(),
  run_id: z.string(),
  period_key: z.string(),
  part: z.number().int(),
  status: z.enum(['pending', 'delivered', 'failed']),
  payload: z.string().nullable(),
  message_id: z.string().nullable(),
  failures: z.number().int(),
  last_error: z.string().nullable(),
  intent_at: ms,
  delivered_at: ms.nullable(),
  updated_at: ms,
});

const SCHEDULE_SELECT = `
  SELECT s.*, c.platform, c.workspace_id, c.channel_id
  FROM schedules s JOIN channels c ON c.id = s.channel`;
const RUN_SELECT = `
  SELECT r.*, c.platform, c.workspace_id, c.channel_id
  FROM digest_runs r JOIN channels c ON c.id = r.channel`;
const DELIVERY_SELECT = `
  SELECT d.*, r.period_key, c.platform, c.workspace_id, c.channel_id
  FROM deliveries d JOIN digest_runs r ON r.id = d.run_id JOIN channels c ON c.id = r.channel`;

// ─── the store ──────────────────────────────────────────────────────────────────────────────

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  /** the database file, or ":memory:" */
  readonly location: string;
  /** migration versions applied when this store was opened (empty when the schema was current) */
  readonly migrated: number[];
  private readonly db: DatabaseSync;
  private readonly now: () => Date;
  private readonly statements = new Map<string, StatementSync>();

  /** Open (creating the file and its directory when missing) and migrate. */
  constructor(location: string, options: StoreOptions = {}) {
    this.location = location;
    this.now = options.now ?? (() => new Date());
    const memory = location === ':memory:';
    if (!memory) mkdirSync(path.dirname(path.resolve(location)), { recursive: true });
    this.db = new DatabaseSync(location, { enableForeignKeyConstraints: true, timeout: BUSY_TIMEOUT_MS });
    try {
      this.db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      if (!memory) {
        this.db.exec('PRAGMA journal_mode = WAL');
        this.db.exec('PRAGMA synchronous = NORMAL');
      }
      this.db.exec('PRAGMA foreign_keys = ON');
      this.migrated = migrateSqlite(this.db, undefined, this.now);
    } catch (err) {
      this.db.close();
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
    const now = this.nowMs();
    return this.tx(() => {
      const found = this.installationRow(ws);
      if (!found) {
        this.run(
          `INSERT INTO installations (platform, workspace_id, workspace_name, secrets, installed_by, time_zone,
             installed_at, updated_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
          ws.platform, ws.workspaceId, workspaceName ?? null, secrets, installedBy ?? null, timeZone ?? null, now, now,
        );
      } else {
        this.run(
          `UPDATE installations SET workspace_name = ?, secrets = ?, installed_by = ?, time_zone = ?,
             installed_at = ?, updated_at = ?, revoked_at = NULL WHERE platform = ? AND workspace_id = ?`,
          workspaceName === undefined ? found.workspace_name : workspaceName,
          secrets,
          installedBy === undefined ? found.installed_by : installedBy,
          timeZone === undefined ? found.time_zone : timeZone,
          found.revoked_at === null ? found.installed_at : now,
          now,
          ws.platform,
          ws.workspaceId,
        );
      }
      return toInstallation(this.installationRow(ws)!);
    });
  }

  async getInstallation(workspace: WorkspaceRef, options: { includeRevoked?: boolean } = {}): Promise<Installation | null> {
    const row = this.installationRow(checkWorkspace(workspace));
    if (!row || (row.revoked_at !== null && !options.includeRevoked)) return null;
    return toInstallation(row);
  }

  async listInstallations(options: { platform?: Platform; includeRevoked?: boolean } = {}): Promise<Installation[]> {
    if (options.platform !== undefined) checkPlatform(options.platform);
    const rows = this.all(
      `SELECT * FROM installations WHERE (? IS NULL OR platform = ?) AND (? = 1 OR revoked_at IS NULL)
       ORDER BY platform, workspace_id`,
      options.platform ?? null, options.platform ?? null, options.includeRevoked ? 1 : 0,
    );
    return rows.map((r) => toInstallation(installationRow.parse(r)));
  }

  async revokeInstallation(workspace: WorkspaceRef): Promise<boolean> {
    const ws = checkWorkspace(workspace);
    const now = this.nowMs();
    const res = this.run(
      `UPDATE installations SET revoked_at = ?, secrets = NULL, updated_at = ?
       WHERE platform = ? AND workspace_id = ? AND revoked_at IS NULL`,
      now, now, ws.platform, ws.workspaceId,
    );
    return Number(res.changes) > 0;
  }

  // ── watch lists ──────────────────────────────────────────────────────────────────────────

  async watch(channel: ChannelRef, domain: string, options: { addedBy?: string | null } = {}): Promise<WatchResult> {
    const ch = checkChannel(channel);
    const name = toDomain(domain);
    const addedBy = optionalText(options.addedBy, 'addedBy') ?? null;
    const now = this.nowMs();
    return this.tx(() => {
      const id = this.channelId(ch, true)!;
      const count = this.watchCount(id);
      if (this.get('SELECT 1 AS x FROM watches WHERE channel = ? AND domain = ?', id, name)) {
        return { added: false, domain: name, count };
      }
      if (count >= WATCH_LIMIT) throw new WatchLimitError(name, WATCH_LIMIT);
      this.run('INSERT INTO watches (channel, domain, added_by, added_at) VALUES (?, ?, ?, ?)', id, name, addedBy, now);
      return { added: true, domain: name, count: count + 1 };
    });
  }

  async unwatch(channel: ChannelRef, domain: string): Promise<UnwatchResult> {
    const ch = checkChannel(channel);
    const name = toDomain(domain);
    return this.tx(() => {
      const id = this.channelId(ch, false);
      if (id === undefined) return { removed: false, domain: name, count: 0 };
      const res = this.run('DELETE FROM watches WHERE channel = ? AND domain = ?', id, name);
      return { removed: Number(res.changes) > 0, domain: name, count: this.watchCount(id) };
    });
  }

  async watchList(channel: ChannelRef): Promise<WatchEntry[]> {
    const ch = checkChannel(channel);
    const rows = this.all(
      `SELECT w.domain, w.added_by, w.added_at, c.platform, c.workspace_id, c.channel_id
       FROM watches w JOIN channels c ON c.id = w.channel
       WHERE c.platform = ? AND c.workspace_id = ? AND c.channel_id = ? ORDER BY w.domain`,
      ch.platform, ch.workspaceId, ch.channelId,
    );
    return rows.map((r) => {
      const row = watchRow.parse(r);
      return { channel: channelOf(row), domain: row.domain, addedBy: row.added_by, addedAt: new Date(row.added_at) };
    });
  }

  async watchedDomains(): Promise<string[]> {
    return this.all('SELECT DISTINCT domain FROM watches ORDER BY domain').map((r) => z.string().parse(r['domain']));
  }

  async watchingChannels(workspace: WorkspaceRef): Promise<ChannelRef[]> {
    const ws = checkWorkspace(workspace);
    const rows = this.all(
      `SELECT DISTINCT c.channel_id FROM channels c JOIN watches w ON w.channel = c.id
       WHERE c.platform = ? AND c.workspace_id = ? ORDER BY c.channel_id`,
      ws.platform,
      ws.workspaceId,
    );
    return rows.map((r) => ({ platform: ws.platform, workspaceId: ws.workspaceId, channelId: z.string().parse(r['channel_id']) }));
  }

  // ── schedules ────────────────────────────────────────────────────────────────────────────

  async getSchedule(channel: ChannelRef): Promise<Schedule | null> {
    return this.scheduleOf(checkChannel(channel)) ?? null;
  }

  async setSchedule(channel: ChannelRef, changes: SchedulePatch = {}): Promise<Schedule> {
    const ch = checkChannel(channel);
    const patch = checkPatch(changes);
    const now = this.nowMs();
    return this.tx(() => {
      const id = this.channelId(ch, true)!;
      const found = this.scheduleOf(ch);
      if (!found) {
        const enabled = patch.enabled ?? true;
        this.run(
          `INSERT INTO schedules (channel, weekday, time, time_zone, enabled, disabled_reason, alert_on_regression,
             next_run_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)`,
          id,
          patch.weekday ?? DEFAULT_WEEKDAY,
          patch.time ?? DEFAULT_TIME,
          patch.timeZone ?? this.defaultTimeZone(ch),
          enabled ? 1 : 0,
          patch.alertOnRegression ? 1 : 0,
          patch.nextRunAt ? toMs(patch.nextRunAt, 'nextRunAt') : null,
          now,
          now,
        );
      } else {
        const weekday = patch.weekday ?? found.weekday;
        const time = patch.time ?? found.time;
        const timeZone = patch.timeZone ?? found.timeZone;
        const enabled = patch.enabled ?? found.enabled;
        const replanned =
          weekday !== found.weekday || time !== found.time || timeZone !== found.timeZone || (enabled && !found.enabled);
        let nextRunAt = found.nextRunAt ? found.nextRunAt.getTime() : null;
        if (patch.nextRunAt !== undefined) nextRunAt = patch.nextRunAt ? toMs(patch.nextRunAt, 'nextRunAt') : null;
        else if (replanned) nextRunAt = null;
        const disabledReason = patch.enabled === undefined ? found.disabledReason : null;
        this.run(
          `UPDATE schedules SET weekday = ?, time = ?, time_zone = ?, enabled = ?, disabled_reason = ?,
             alert_on_regression = ?, next_run_at = ?, updated_at = ? WHERE channel = ?`,
          weekday, time, timeZone, enabled ? 1 : 0, disabledReason,
          (patch.alertOnRegression ?? found.alertOnRegression) ? 1 : 0, nextRunAt, now, id,
        );
      }
      return this.scheduleOf(ch)!;
    });
  }

  async disableSchedule(channel: ChannelRef, reason: string): Promise<Schedule> {
    const ch = checkChannel(channel);
    const why = requiredText(reason, 'reason');
    return this.tx(() => {
      this.disableScheduleTx(ch, why);
      return this.scheduleOf(ch)!;
    });
  }

  async setNextRunAt(channel: ChannelRef, nextRunAt: Date | null): Promise<void> {
    const ch = checkChannel(channel);
    const at = nextRunAt === null ? null : toMs(nextRunAt, 'nextRunAt');
    this.run(
      `UPDATE schedules SET next_run_at = ?
       WHERE channel = (SELECT id FROM channels WHERE platform = ? AND workspace_id = ? AND channel_id = ?)`,
      at, ch.platform, ch.workspaceId, ch.channelId,
    );
  }

  async dueChannels(now: Date): Promise<Schedule[]> {
    const rows = this.all(
      `${SCHEDULE_SELECT}
       LEFT JOIN installations i ON i.platform = c.platform AND i.workspace_id = c.workspace_id
       WHERE s.enabled = 1 AND s.next_run_at IS NOT NULL AND s.next_run_at <= ? AND i.revoked_at IS NULL
       ORDER BY s.next_run_at, c.platform, c.workspace_id, c.channel_id`,
      toMs(now, 'now'),
    );
    return rows.map(toSchedule);
  }

  async unplannedSchedules(): Promise<Schedule[]> {
    const rows = this.all(
      `${SCHEDULE_SELECT} WHERE s.enabled = 1 AND s.next_run_at IS NULL
       ORDER BY c.platform, c.workspace_id, c.channel_id`,
    );
    return rows.map(toSchedule);
  }

  // ── check history ────────────────────────────────────────────────────────────────────────

  async saveReport(report: Report): Promise<HistoryEntry> {
    const parsed = reportSchema.safeParse(report);
    if (!parsed.success) throw new InvalidReportError(`not a valid ${'posture.report/v1'} report: ${firstIssue(parsed.error)}`);
    const r = parsed.data;
    const checkedAt = Date.parse(r.checkedAt);
    const codes = findingCodes(r as Report);
    const facts = reportFacts(r as Report);
    const text = JSON.stringify(r);
    this.tx(() => {
      this.run('INSERT OR REPLACE INTO reports (domain, checked_at, report) VALUES (?, ?, ?)', r.domain, checkedAt, text);
      this.run(
        'INSERT OR REPLACE INTO history (domain, checked_at, grade, score, codes, facts) VALUES (?, ?, ?, ?, ?, ?)',
        r.domain, checkedAt, r.grade, r.score, JSON.stringify(codes), JSON.stringify(facts),
      );
    });
    return { domain: r.domain, checkedAt: new Date(checkedAt), grade: r.grade, score: r.score, codes, facts };
  }

  async latestReport(domain: string): Promise<Report | null> {
    const name = toDomain(domain);
    const row = this.get('SELECT report FROM reports WHERE domain = ? ORDER BY checked_at DESC LIMIT 1', name);
    if (!row) return null;
    const parsed = reportSchema.safeParse(parseJson(z.string().parse(row['report']), `the stored report of ${name}`));
    if (!parsed.success) throw new StoreError(`the stored report of ${name} is not valid: ${firstIssue(parsed.error)}`);
    return parsed.data as Report;
  }

  async history(domain: string, since: Date, until?: Date): Promise<HistoryEntry[]> {
    const name = toDomain(domain);
    const rows = this.all(
      `SELECT * FROM history WHERE domain = ? AND checked_at >= ? AND (? IS NULL OR checked_at < ?)
       ORDER BY checked_at`,
      name, toMs(since, 'since'), until ? toMs(until, 'until') : null, until ? toMs(until, 'until') : null,
    );
    return rows.map((r) => {
      const row = historyRow.parse(r);
      const codes = codesSchema.parse(parseJson(row.codes, `history codes of ${name}`));
      const entry: HistoryEntry = { domain: row.domain, checkedAt: new Date(row.checked_at), grade: row.grade, score: row.score, codes };
      if (row.facts !== null) entry.facts = factsSchema.parse(parseJson(row.facts, `history facts of ${name}`)) as ReportFacts;
      return entry;
    });
  }

  // ── digest runs and deliveries ───────────────────────────────────────────────────────────

  async claimDigest(channel: ChannelRef, periodKey: string): Promise<DigestClaim | null> {
    const ch = checkChannel(channel);
    const key = checkPeriodKey(periodKey);
    const now = this.nowMs();
    return this.tx(() => {
      const chId = this.channelId(ch, true)!;
      const id = newId();
      const res = this.run(
        `INSERT INTO digest_runs (id, channel, period_key, status, note, claimed_at, updated_at)
         VALUES (?, ?, ?, 'claimed', NULL, ?, ?) ON CONFLICT (channel, period_key) DO NOTHING`,
        id, chId, key, now, now,
      );
      if (Number(res.changes) !== 1) return null;
      return { runId: id, channel: { ...ch }, periodKey: key, claimedAt: new Date(now) };
    });
  }

  async getDigestRun(channel: ChannelRef, periodKey: string): Promise<DigestRun | null> {
    const ch = checkChannel(channel);
    const key = checkPeriodKey(periodKey);
    const row = this.get(
      `${RUN_SELECT} WHERE c.platform = ? AND c.workspace_id = ? AND c.channel_id = ? AND r.period_key = ?`,
      ch.platform, ch.workspaceId, ch.channelId, key,
    );
    return row ? toRun(row) : null;
  }

  async stalledRuns(claimedBefore: Date): Promise<DigestRun[]> {
    const rows = this.all(
      `${RUN_SELECT} WHERE r.status = 'claimed' AND r.claimed_at < ? ORDER BY r.claimed_at, r.id`,
      toMs(claimedBefore, 'claimedBefore'),
    );
    return rows.map(toRun);
  }

  async skipRun(runId: string, reason: string): Promise<DigestRun> {
    const id = requiredText(runId, 'runId');
    const why = requiredText(reason, 'reason');
    const now = this.nowMs();
    return this.tx(() => {
      const run = this.runById(id);
      if (run.status === 'skipped') return run;
      if (run.status !== 'claimed') throw new StoreError(`digest run ${id} is ${run.status}; only a claimed run can be skipped`);
      this.run(`UPDATE digest_runs SET status = 'skipped', note = ?, updated_at = ? WHERE id = ?`, why, now, id);
      return this.runById(id);
    });
  }

  async recordDeliveryIntent(runId: string, payload?: unknown): Promise<Delivery> {
    const id = requiredText(runId, 'runId');
    const json = payload === undefined ? null : toJson(payload, 'delivery payload');
    const now = this.nowMs();
    return this.tx(() => {
      const run = this.runById(id);
      if (run.status === 'failed' || run.status === 'skipped') {
        throw new StoreError(`digest run ${id} is ${run.status}; nothing more may be posted for it`);
      }
      const max = this.get('SELECT MAX(part) AS p FROM deliveries WHERE run_id = ?', id)?.['p'];
      const part = typeof max === 'number' ? max + 1 : 0;
      const deliveryId = newId();
      this.run(
        `INSERT INTO deliveries (id, run_id, part, status, payload, message_id, failures, last_error, intent_at,
           delivered_at, updated_at) VALUES (?, ?, ?, 'pending', ?, NULL, 0, NULL, ?, NULL, ?)`,
        deliveryId, id, part, json, now, now,
      );
      this.run(`UPDATE digest_runs SET status = 'delivering', updated_at = ? WHERE id = ?`, now, id);
      return this.deliveryById(deliveryId);
    });
  }

  async markDelivered(deliveryId: string, messageId: string): Promise<Delivery> {
    const id = requiredText(deliveryId, 'deliveryId');
    const msg = requiredText(messageId, 'messageId');
    const now = this.nowMs();
    return this.tx(() => {
      const d = this.deliveryById(id);
      if (d.status === 'delivered') return d;
      this.run(
        `UPDATE deliveries SET status = 'delivered', message_id = ?, delivered_at = ?, updated_at = ? WHERE id = ?`,
        msg, now, now, id,
      );
      this.settleRun(d.runId, now);
      return this.deliveryById(id);
    });
  }

  async markDeliveryFailed(deliveryId: string, failure: DeliveryFailure): Promise<Delivery> {
    const id = requiredText(deliveryId, 'deliveryId');
    const reason = requiredText(failure.reason, 'reason').slice(0, MAX_TEXT);
    const now = this.nowMs();
    return this.tx(() => {
      const d = this.deliveryById(id);
      if (d.status !== 'pending') return d;
      if (!failure.permanent) {
        this.run(
          'UPDATE deliveries SET failures = failures + 1, last_error = ?, updated_at = ? WHERE id = ?',
          reason, now, id,
        );
        return this.deliveryById(id);
      }
      this.run(`UPDATE deliveries SET status = 'failed', last_error = ?, updated_at = ? WHERE id = ?`, reason, now, id);
      this.run(
        `UPDATE deliveries SET status = 'failed', last_error = ?, updated_at = ? WHERE run_id = ? AND status = 'pending'`,
        `not posted: part ${d.part} failed permanently (${reason})`.slice(0, MAX_TEXT), now, d.runId,
      );
      this.run(`UPDATE digest_runs SET status = 'failed', note = ?, updated_at = ? WHERE id = ?`, reason, now, d.runId);
      this.disableScheduleTx(d.channel, reason);
      return this.deliveryById(id);
    });
  }

  async pendingDeliveries(options: { intentBefore?: Date } = {}): Promise<Delivery[]> {
    const before = options.intentBefore ? toMs(options.intentBefore, 'intentBefore') : null;
    const rows = this.all(
      `${DELIVERY_SELECT} WHERE d.status = 'pending' AND (? IS NULL OR d.intent_at < ?)
       ORDER BY d.intent_at, d.run_id, d.part`,
      before, before,
    );
    return rows.map(toDelivery);
  }

  async deliveries(runId: string): Promise<Delivery[]> {
    const id = requiredText(runId, 'runId');
    return this.all(`${DELIVERY_SELECT} WHERE d.run_id = ? ORDER BY d.part`, id).map(toDelivery);
  }

  // ── maintenance ──────────────────────────────────────────────────────────────────────────

  async prune(now: Date): Promise<PruneResult> {
    const cutoff = retentionCutoff(now);
    return this.tx(() => {
      const historyRows = Number(this.run('DELETE FROM history WHERE checked_at < ?', cutoff).changes);
      const reports = Number(
        this.run(
          `DELETE FROM reports WHERE checked_at < ?
             OR checked_at < (SELECT MAX(r2.checked_at) FROM reports r2 WHERE r2.domain = reports.domain)`,
          cutoff,
        ).changes,
      );
      const digestRuns = Number(
        this.run(
          `DELETE FROM digest_runs WHERE status IN ('delivered', 'failed', 'skipped') AND claimed_at < ?`,
          cutoff,
        ).changes,
      );
      return { historyRows, reports, digestRuns };
    });
  }

  /** Read a connection setting (diagnostics and tests). */
  pragma(name: 'journal_mode' | 'foreign_keys' | 'busy_timeout' | 'synchronous'): unknown {
    const row = this.db.prepare(`PRAGMA ${name}`).get();
    return row ? Object.values(row)[0] : undefined;
  }

  async close(): Promise<void> {
    if (!this.db.isOpen) return;
    this.statements.clear();
    this.db.close();
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────

  private nowMs(): number {
    return toMs(this.now(), 'the clock');
  }

  private stmt(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private run(sql: string, ...params: SQLInputValue[]) {
    return this.stmt(sql).run(...params);
  }

  private get(sql: string, ...params: SQLInputValue[]) {
    return this.stmt(sql).get(...params);
  }

  private all(sql: string, ...params: SQLInputValue[]) {
    return this.stmt(sql).all(...params);
  }

  /** One writer: BEGIN IMMEDIATE takes the write lock up front (waiting up to busy_timeout). */
  private tx<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  private channelId(ch: ChannelRef, create: boolean): number | undefined {
    const select = 'SELECT id FROM channels WHERE platform = ? AND workspace_id = ? AND channel_id = ?';
    let row = this.get(select, ch.platform, ch.workspaceId, ch.channelId);
    if (!row && create) {
      this.run(
        'INSERT INTO channels (platform, workspace_id, channel_id, created_at) VALUES (?, ?, ?, ?)',
        ch.platform, ch.workspaceId, ch.channelId, this.nowMs(),
      );
      row = this.get(select, ch.platform, ch.workspaceId, ch.channelId);
    }
    return row ? z.number().int().parse(row['id']) : undefined;
  }

  private watchCount(channelRowId: number): number {
    return z.number().int().parse(this.get('SELECT COUNT(*) AS n FROM watches WHERE channel = ?', channelRowId)?.['n']);
  }

  private installationRow(ws: WorkspaceRef) {
    const row = this.get('SELECT * FROM installations WHERE platform = ? AND workspace_id = ?', ws.platform, ws.workspaceId);
    return row ? installationRow.parse(row) : undefined;
  }

  private defaultTimeZone(ch: ChannelRef): string {
    const row = this.installationRow(ch);
    return row?.time_zone ?? DEFAULT_TIME_ZONE;
  }

  private scheduleOf(ch: ChannelRef): Schedule | undefined {
    const row = this.get(
      `${SCHEDULE_SELECT} WHERE c.platform = ? AND c.workspace_id = ? AND c.channel_id = ?`,
      ch.platform, ch.workspaceId, ch.channelId,
    );
    return row ? toSchedule(row) : undefined;
  }

  /** Inside a transaction: disable (creating with defaults when missing) and record why. */
  private disableScheduleTx(ch: ChannelRef, reason: string): void {
    const id = this.channelId(ch, true)!;
    const now = this.nowMs();
    const res = this.run(
      'UPDATE schedules SET enabled = 0, disabled_reason = ?, next_run_at = NULL, updated_at = ? WHERE channel = ?',
      reason, now, id,
    );
    if (Number(res.changes) === 0) {
      this.run(
        `INSERT INTO schedules (channel, weekday, time, time_zone, enabled, disabled_reason, alert_on_regression,
           next_run_at, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, 0, NULL, ?, ?)`,
        id, DEFAULT_WEEKDAY, DEFAULT_TIME, this.defaultTimeZone(ch), reason, now, now,
      );
    }
  }

  private runById(id: string): DigestRun {
    const row = this.get(`${RUN_SELECT} WHERE r.id = ?`, id);
    if (!row) throw new NotFoundError(`no digest run ${id}`);
    return toRun(row);
  }

  private deliveryById(id: string): Delivery {
    const row = this.get(`${DELIVERY_SELECT} WHERE d.id = ?`, id);
    if (!row) throw new NotFoundError(`no delivery ${id}`);
    return toDelivery(row);
  }

  /** A run's status follows its deliveries: all delivered → delivered; any pending → delivering; else failed. */
  private settleRun(runId: string, now: number): void {
    const counts = this.get(
      `SELECT COUNT(*) AS total,
              COALESCE(SUM(status = 'delivered'), 0) AS delivered,
              COALESCE(SUM(status = 'pending'), 0) AS pending
       FROM deliveries WHERE run_id = ?`,
      runId,
    );
    const total = Number(counts?.['total'] ?? 0);
    const delivered = Number(counts?.['delivered'] ?? 0);
    const pending = Number(counts?.['pending'] ?? 0);
    const status: DigestRunStatus = total > 0 && delivered === total ? 'delivered' : pending > 0 ? 'delivering' : 'failed';
    this.run(
      `UPDATE digest_runs SET status = ?, note = CASE WHEN ? = 'delivered' THEN NULL ELSE note END, updated_at = ?
       WHERE id = ?`,
      status, status, now, runId,
    );
  }
}

// ─── conversions ────────────────────────────────────────────────────────────────────────────

function channelOf(row: { platform: Platform; workspace_id: string; channel_id: string }): ChannelRef {
  return { platform: row.platform, workspaceId: row.workspace_id, channelId: row.channel_id };
}

function toInstallation(row: z.infer<typeof installationRow>): Installation {
  return {
    platform: row.platform,
    workspaceId: row.workspace_id,
    workspaceName: row.workspace_name,
    secrets: row.secrets === null ? null : parseJson(row.secrets, 'installation secrets'),
    installedBy: row.installed_by,
    timeZone: row.time_zone,
    installedAt: new Date(row.installed_at),
    updatedAt: new Date(row.updated_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
  };
}

function toSchedule(raw: Record<string, unknown>): Schedule {
  const row = scheduleRow.parse(raw);
  return {
    channel: channelOf(row),
    weekday: row.weekday as Weekday,
    time: row.time,
    timeZone: row.time_zone,
    enabled: row.enabled === 1,
    disabledReason: row.disabled_reason,
    alertOnRegression: row.alert_on_regression === 1,
    nextRunAt: row.next_run_at === null ? null : new Date(row.next_run_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toRun(raw: Record<string, unknown>): DigestRun {
  const row = runRow.parse(raw);
  return {
    id: row.id,
    channel: channelOf(row),
    periodKey: row.period_key,
    status: row.status,
    note: row.note,
    claimedAt: new Date(row.claimed_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toDelivery(raw: Record<string, unknown>): Delivery {
  const row = deliveryRow.parse(raw);
  return {
    id: row.id,
    runId: row.run_id,
    channel: channelOf(row),
    periodKey: row.period_key,
    part: row.part,
    status: row.status,
    payload: row.payload === null ? null : parseJson(row.payload, 'delivery payload'),
    messageId: row.message_id,
    failures: row.failures,
    lastError: row.last_error,
    intentAt: new Date(row.intent_at),
    deliveredAt: row.delivered_at === null ? null : new Date(row.delivered_at),
    updatedAt: new Date(row.updated_at),
  };
}


/**
 * Input checks and helpers every store implementation shares, so SQLite and PostgreSQL refuse
 * the same input with the same errors.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { normalizeDomain } from '../checker/domain.ts';
import type { Report } from '../checker/types.ts';
import {
  InvalidDomainError,
  InvalidScheduleError,
  PLATFORMS,
  RETENTION_MONTHS,
  StoreError,
  type ChannelRef,
  type Platform,
  type SchedulePatch,
  type WorkspaceRef,
} from './types.ts';

export const MAX_ID = 256;
export const MAX_TEXT = 1000;


/** Normalise as the CLI does; throws {@link InvalidDomainError}. */
export function toDomain(raw: string): string {
  if (typeof raw !== 'string') throw new InvalidDomainError(String(raw), 'a domain must be text');
  const n = normalizeDomain(raw);
  if (!n.ok) throw new InvalidDomainError(raw, n.error);
  return n.domain;
}

export function checkPlatform(p: unknown): Platform {
  if (!PLATFORMS.includes(p as Platform)) throw new StoreError(`unknown platform ${JSON.stringify(p)}; expected slack or discord`);
  return p as Platform;
}

export function checkId(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_ID) {
    throw new StoreError(`${what} must be a non-empty string of at most ${MAX_ID} characters`);
  }
  return value;
}

export function checkWorkspace(ws: WorkspaceRef): WorkspaceRef {
  return { platform: checkPlatform(ws.platform), workspaceId: checkId(ws.workspaceId, 'workspaceId') };
}

export function checkChannel(ch: ChannelRef): ChannelRef {
  return {
    platform: checkPlatform(ch.platform),
    workspaceId: checkId(ch.workspaceId, 'workspaceId'),
    channelId: checkId(ch.channelId, 'channelId'),
  };
}

export function checkPeriodKey(key: string): string {
  return checkId(key, 'periodKey');
}

export function requiredText(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new StoreError(`${what} must be a non-empty string`);
  return value;
}

export function optionalText(value: string | null | undefined, what: string): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') throw new StoreError(`${what} must be a string or null`);
  return value;
}

/**
 * The IANA time zone name, validated by the runtime's `Intl` data; the case is fixed
 * ("europe/berlin" → "Europe/Berlin") but aliases are kept as given. Undefined when unknown.
 */
export function canonicalTimeZone(tz: string): string | undefined {
  if (typeof tz !== 'string' || tz.trim() === '' || tz.length > 64) return undefined;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
    return resolved.toLowerCase() === tz.toLowerCase() ? resolved : tz;
  } catch {
    return undefined;
  }
}

export function isTimeZone(tz: string): boolean {
  return canonicalTimeZone(tz) !== undefined;
}

/** Throws {@link InvalidScheduleError} for an unknown zone; returns the canonical name. */
export function checkTimeZone(tz: string): string {
  const name = canonicalTimeZone(tz);
  if (name === undefined) {
    throw new InvalidScheduleError(`unknown time zone ${JSON.stringify(tz)}; use an IANA name such as Europe/Berlin`);
  }
  return name;
}

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Validate a schedule patch; returns it with the time zone's canonical name. */
export function checkPatch(patch: SchedulePatch): SchedulePatch {
  if (patch.weekday !== undefined && !(Number.isInteger(patch.weekday) && patch.weekday >= 1 && patch.weekday <= 7)) {
    throw new InvalidScheduleError(`weekday must be 1 (Monday) to 7 (Sunday), not ${JSON.stringify(patch.weekday)}`);
  }
  if (patch.time !== undefined && !(typeof patch.time === 'string' && TIME.test(patch.time))) {
    throw new InvalidScheduleError(`time must be HH:MM (24-hour), not ${JSON.stringify(patch.time)}`);
  }
  if (patch.enabled !== undefined && typeof patch.enabled !== 'boolean') throw new InvalidScheduleError('enabled must be true or false');
  if (patch.alertOnRegression !== undefined && typeof patch.alertOnRegression !== 'boolean') {
    throw new InvalidScheduleError('alertOnRegression must be true or false');
  }
  if (patch.nextRunAt !== undefined && patch.nextRunAt !== null) toMs(patch.nextRunAt, 'nextRunAt');
  return patch.timeZone === undefined ? { ...patch } : { ...patch, timeZone: checkTimeZone(patch.timeZone) };
}

export function toMs(d: Date, what: string): number {
  const t = d instanceof Date ? d.getTime() : NaN;
  if (!Number.isFinite(t)) throw new StoreError(`${what} must be a valid Date`);
  return t;
}

export function toJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) throw new StoreError(`${what} must be JSON-serialisable`);
  return text;
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new StoreError(`${what}: stored JSON is corrupt`);
  }
}

export function firstIssue(err: z.ZodError): string {
  const issue = err.issues[0];
  if (!issue) return 'invalid';
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return `${where}${issue.message}${err.issues.length > 1 ? ` (and ${err.issues.length - 1} more)` : ''}`;
}

/** The oldest instant the retention keeps: `now` minus {@link RETENTION_MONTHS} calendar months (UTC). */
export function retentionCutoff(now: Date): number {
  const d = new Date(toMs(now, 'now'));
  d.setUTCMonth(d.getUTCMonth() - RETENTION_MONTHS);
  return d.getTime();
}

/** 20 hex characters: unguessable, and short enough for a Discord nonce (≤ 25). */
export function newId(): string {
  return randomBytes(10).toString('hex');
}

/** A report's distinct finding codes, sorted: the compact history keeps these. */
export function findingCodes(report: Report): string[] {
  return [...new Set(report.checks.flatMap((c) => c.findings.map((f) => f.code as string)))].sort();
}

/** The stored facts of a history row (JSON), validated on the way back. */
export const factsSchema = z.object({
  untested: z.array(z.string()),
  dmarcPolicy: z.enum(['none', 'quarantine', 'reject']).nullable().optional(),
  mtaStsMode: z.enum(['enforce', 'testing', 'none']).nullable().optional(),
});

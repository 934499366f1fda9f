/**
 * When a channel's digest is due (DESIGN `src/digest/`): a weekly slot — ISO weekday, local
 * "HH:MM", IANA time zone — turned into UTC instants by croner, and the period key that makes a
 * digest at-most-once per channel and ISO week.
 *
 * Time-zone and daylight-saving arithmetic is croner's (`timezone` option), never ours. croner
 * treats our patterns (one value in each of minute and hour) as *fixed-time* jobs, as Vixie cron
 * does, which is exactly what a weekly digest wants:
 * - a slot that does not exist on a spring-forward day (02:30 in Europe/Berlin on the last Sunday
 *   of March) fires once, at the first valid local time after the gap (03:00 CEST);
 * - a slot that occurs twice on a fall-back day (01:30 in America/New_York on the first Sunday of
 *   November) fires once, at its first occurrence.
 * The tests in `test/digest/schedule.test.ts` pin both.
 *
 * The period key is the ISO week (`2026-W49`) of the slot's *local* date, so a Monday 00:30
 * Berlin slot (Sunday 23:30 UTC) belongs to the Monday's week, and a digest that runs late
 * (catch-up after downtime) still claims the week of the slot it stands for.
 */
import { Cron } from 'croner';
import type { Schedule, Weekday } from '../store/types.ts';

/** What of a schedule the computation needs. */
export type ScheduleSlot = Pick<Schedule, 'weekday' | 'time' | 'timeZone'>;

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

export const WEEKDAY_NAMES: Record<Weekday, string> = {
  1: 'Monday', 2: 'Tuesday', 3: 'Wednesday', 4: 'Thursday', 5: 'Friday', 6: 'Saturday', 7: 'Sunday',
};

/** True when the runtime knows the IANA zone (e.g. "Europe/Berlin", "UTC"). */
export function isValidTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || timeZone.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

function parseTime(time: string): { hour: number; minute: number } {
  const m = TIME.exec(time);
  if (!m) throw new RangeError(`schedule time must be "HH:MM" (24-hour), not ${JSON.stringify(time)}`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

function checkSlot(slot: ScheduleSlot): void {
  if (!Number.isInteger(slot.weekday) || slot.weekday < 1 || slot.weekday > 7) {
    throw new RangeError(`schedule weekday must be an ISO weekday 1 (Monday) … 7 (Sunday), not ${String(slot.weekday)}`);
  }
  parseTime(slot.time);
  if (!isValidTimeZone(slot.timeZone)) throw new RangeError(`unknown time zone ${JSON.stringify(slot.timeZone)}`);
}

/**
 * The cron pattern of a weekly slot: "MM HH * * D" with cron's weekday (0 = Sunday), so ISO 7
 * (Sunday) becomes 0.
 */
export function cronPattern(slot: Pick<ScheduleSlot, 'weekday' | 'time'>): string {
  const { hour, minute } = parseTime(slot.time);
  return `${minute} ${hour} * * ${slot.weekday % 7}`;
}

/** The daily pattern at the slot's local time (regression alerts are checked daily). */
export function dailyPattern(slot: Pick<ScheduleSlot, 'time'>): string {
  const { hour, minute } = parseTime(slot.time);
  return `${minute} ${hour} * * *`;
}

function cron(pattern: string, timeZone: string): Cron {
  return new Cron(pattern, { timezone: timeZone, paused: true });
}

/**
 * The first slot strictly after `after` (UTC instant). Throws RangeError for a malformed
 * weekday, time or zone.
 */
export function nextRun(schedule: ScheduleSlot, after: Date): Date {
  checkSlot(schedule);
  const next = cron(cronPattern(schedule), schedule.timeZone).nextRun(after);
  // a weekly pattern always has a next run; croner returns null only past year 9999
  if (!next) throw new RangeError(`no run of ${cronPattern(schedule)} after ${after.toISOString()}`);
  return next;
}

/** The next `n` slots strictly after `after` (for displays and tests). */
export function nextRuns(schedule: ScheduleSlot, after: Date, n: number): Date[] {
  checkSlot(schedule);
  return cron(cronPattern(schedule), schedule.timeZone).nextRuns(n, after);
}

/**
 * The latest daily occurrence of the slot's local time at or before `now` (any weekday):
 * the regression-alert pass of the day. Walks forward with croner from a little over a day back,
 * so a 23- or 25-hour day is handled by croner's DST rules.
 */
export function latestDailySlot(schedule: Pick<ScheduleSlot, 'time' | 'timeZone'>, now: Date): Date {
  if (!isValidTimeZone(schedule.timeZone)) throw new RangeError(`unknown time zone ${JSON.stringify(schedule.timeZone)}`);
  const job = cron(dailyPattern(schedule), schedule.timeZone);
  let last: Date | null = null;
  let t = job.nextRun(new Date(now.getTime() - 50 * 3_600_000));
  while (t && t.getTime() <= now.getTime()) {
    last = t;
    t = job.nextRun(t);
  }
  if (!last) throw new RangeError(`no daily run of ${schedule.time} before ${now.toISOString()}`);
  return last;
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date of an instant in a zone (Intl does the zone rules). */
export function localDate(date: Date, timeZone: string): LocalDate {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' });
    formatters.set(timeZone, f);
  }
  const parts = f.formatToParts(date);
  const part = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  return { year: part('year'), month: part('month'), day: part('day') };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** "2026-11-30": the local date of an instant (alert dedupe keys). */
export function localDateKey(date: Date, timeZone: string): string {
  const d = localDate(date, timeZone);
  return `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}`;
}

/** ISO 8601 week of a calendar date: the week (Monday–Sunday) belongs to the year of its Thursday. */
function isoWeekOf(d: LocalDate): { year: number; week: number } {
  // a calendar date, no zone: UTC fields are used only as a proleptic calendar
  const day = Date.UTC(d.year, d.month - 1, d.day);
  const isoDay = ((new Date(day).getUTCDay() + 6) % 7) + 1; // 1 = Monday … 7 = Sunday
  const thursday = new Date(day + (4 - isoDay) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000));
  return { year, week };
}

/**
 * The period key of a slot: the ISO week of its local date in `timeZone`, e.g. "2026-W49".
 * Around New Year the ISO year may differ from the calendar year (2027-01-01 → "2026-W53").
 */
export function isoWeekKey(date: Date, timeZone: string): string {
  const { year, week } = isoWeekOf(localDate(date, timeZone));
  return `${pad(year, 4)}-W${pad(week)}`;
}

/** The key of the ISO week before a weekly key ("2027-W01" → "2026-W53"); null for other keys. */
export function previousWeekKey(key: string): string | null {
  const m = /^(\d{4})-W(\d{2})$/.exec(key);
  if (!m) return null;
  const year = Number(m[1]);
  const week = Number(m[2]);
  // 4 January is always in week 1; its Monday starts the ISO year
  const jan4 = Date.UTC(year, 0, 4);
  const monday1 = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * 86_400_000;
  const monday = monday1 + (week - 1) * 7 * 86_400_000;
  return isoWeekKey(new Date(monday - 7 * 86_400_000), 'UTC');
}

/** A weekly period key ("2026-W49"), as opposed to "now:…" and "alert:…" keys. */
export function isWeeklyPeriodKey(key: string): boolean {
  return /^\d{4}-W\d{2}$/.test(key);
}

/** "Mondays at 09:00 (Europe/Berlin)". */
export function describeSlot(slot: ScheduleSlot): string {
  return `${WEEKDAY_NAMES[slot.weekday]}s at ${slot.time} (${slot.timeZone})`;
}

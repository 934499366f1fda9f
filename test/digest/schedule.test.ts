import { describe, expect, it } from 'vitest';
import {
  cronPattern, describeSlot, isValidTimeZone, isWeeklyPeriodKey, isoWeekKey, latestDailySlot, localDateKey, nextRun, nextRuns,
  previousWeekKey,
} from '../../src/digest/schedule.ts';
import type { Weekday } from '../../src/store/types.ts';

const at = (iso: string): Date => new Date(iso);
const slot = (weekday: Weekday, time: string, timeZone: string) => ({ weekday, time, timeZone });
const iso = (d: Date): string => d.toISOString();

describe('nextRun: weekly slots in time zones', () => {
  it('Europe/Berlin Monday 09:00 is 08:00 UTC in winter and 07:00 UTC in summer', () => {
    expect(iso(nextRun(slot(1, '09:00', 'Europe/Berlin'), at('2026-11-25T12:00:00Z')))).toBe('2026-11-30T08:00:00.000Z');
    expect(iso(nextRun(slot(1, '09:00', 'Europe/Berlin'), at('2026-06-02T12:00:00Z')))).toBe('2026-06-08T07:00:00.000Z');
  });

  it('America/New_York Friday 17:30 is 22:30 UTC (EST) and 21:30 UTC (EDT)', () => {
    expect(iso(nextRun(slot(5, '17:30', 'America/New_York'), at('2026-12-01T00:00:00Z')))).toBe('2026-12-04T22:30:00.000Z');
    expect(iso(nextRun(slot(5, '17:30', 'America/New_York'), at('2026-07-01T00:00:00Z')))).toBe('2026-07-03T21:30:00.000Z');
  });

  it('Asia/Kolkata (UTC+05:30, no DST) Monday 09:00 is 03:30 UTC all year', () => {
    const s = slot(1, '09:00', 'Asia/Kolkata');
    expect(nextRuns(s, at('2026-01-01T00:00:00Z'), 1).map(iso)).toEqual(['2026-01-05T03:30:00.000Z']);
    expect(nextRuns(s, at('2026-07-01T00:00:00Z'), 1).map(iso)).toEqual(['2026-07-06T03:30:00.000Z']);
  });

  it('Asia/Kolkata Monday 01:00 falls on Sunday in UTC', () => {
    expect(iso(nextRun(slot(1, '01:00', 'Asia/Kolkata'), at('2026-11-25T00:00:00Z')))).toBe('2026-11-29T19:30:00.000Z');
  });

  it('UTC, and the slot is strictly after `after` (at the slot itself → next week)', () => {
    const s = slot(1, '09:00', 'UTC');
    expect(iso(nextRun(s, at('2026-11-30T08:59:59.999Z')))).toBe('2026-11-30T09:00:00.000Z');
    expect(iso(nextRun(s, at('2026-11-30T09:00:00.000Z')))).toBe('2026-12-07T09:00:00.000Z');
  });

  it('ISO weekday 7 is Sunday (cron 0), 1 is Monday', () => {
    expect(cronPattern(slot(7, '23:45', 'UTC'))).toBe('45 23 * * 0');
    expect(cronPattern(slot(1, '09:00', 'UTC'))).toBe('0 9 * * 1');
    expect(iso(nextRun(slot(7, '23:45', 'UTC'), at('2026-11-30T00:00:00Z')))).toBe('2026-12-06T23:45:00.000Z');
  });

  it('consecutive runs are one week apart across a year', () => {
    const runs = nextRuns(slot(3, '12:00', 'UTC'), at('2026-01-01T00:00:00Z'), 52);
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.getTime() - runs[i - 1]!.getTime()).toBe(7 * 86_400_000);
  });

  it('refuses a bad zone, time or weekday', () => {
    expect(() => nextRun(slot(1, '09:00', 'Mars/Olympus_Mons'), at('2026-11-30T00:00:00Z'))).toThrow(/time zone/);
    expect(() => nextRun(slot(1, '9:00', 'UTC'), at('2026-11-30T00:00:00Z'))).toThrow(/HH:MM/);
    expect(() => nextRun(slot(1, '24:00', 'UTC'), at('2026-11-30T00:00:00Z'))).toThrow(/HH:MM/);
    expect(() => nextRun({ weekday: 8 as Weekday, time: '09:00', timeZone: 'UTC' }, at('2026-11-30T00:00:00Z'))).toThrow(/weekday/);
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Nowhere/Land')).toBe(false);
  });

  it('describes a slot for people', () => {
    expect(describeSlot(slot(1, '09:00', 'Europe/Berlin'))).toBe('Mondays at 09:00 (Europe/Berlin)');
  });
});

describe('nextRun: daylight-saving transitions', () => {
  /** every run in a window, to count how often the transition day fires */
  const runsBetween = (s: ReturnType<typeof slot>, from: string, to: string): string[] =>
    nextRuns(s, at(from), 10).filter((d) => d.getTime() < Date.parse(to)).map(iso);

  it('Europe/Berlin spring forward (2026-03-29, 02:00 → 03:00): a Sunday 02:30 slot fires once, at 03:00 CEST', () => {
    const s = slot(7, '02:30', 'Europe/Berlin');
    expect(runsBetween(s, '2026-03-21T00:00:00Z', '2026-04-06T00:00:00Z')).toEqual([
      '2026-03-22T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // the first valid time after the gap: 03:00 CEST
      '2026-04-05T00:30:00.000Z', // 02:30 CEST
    ]);
    // asked again just after the transition-day run: next week, not a second run that day
    expect(iso(nextRun(s, at('2026-03-29T01:00:00Z')))).toBe('2026-04-05T00:30:00.000Z');
  });

  it('America/New_York spring forward (2026-03-08): a Sunday 02:30 slot fires once', () => {
    const s = slot(7, '02:30', 'America/New_York');
    expect(runsBetween(s, '2026-03-02T00:00:00Z', '2026-03-16T00:00:00Z')).toEqual([
      '2026-03-08T07:00:00.000Z', // 03:00 EDT
      '2026-03-15T06:30:00.000Z', // 02:30 EDT
    ]);
  });

  it('Europe/Berlin fall back (2026-10-25, 03:00 → 02:00): a Sunday 02:30 slot fires once, at the first 02:30', () => {
    const s = slot(7, '02:30', 'Europe/Berlin');
    expect(runsBetween(s, '2026-10-19T00:00:00Z', '2026-11-02T00:00:00Z')).toEqual([
      '2026-10-25T00:30:00.000Z', // 02:30 CEST (the first of the two)
      '2026-11-01T01:30:00.000Z', // 02:30 CET
    ]);
    // between the two 02:30s: the second one does not fire
    expect(iso(nextRun(s, at('2026-10-25T00:45:00Z')))).toBe('2026-11-01T01:30:00.000Z');
  });

  it('America/New_York fall back (2026-11-01, 02:00 → 01:00): a Sunday 01:30 slot fires once', () => {
    const s = slot(7, '01:30', 'America/New_York');
    expect(runsBetween(s, '2026-10-26T00:00:00Z', '2026-11-09T00:00:00Z')).toEqual([
      '2026-11-01T05:30:00.000Z', // 01:30 EDT
      '2026-11-08T06:30:00.000Z', // 01:30 EST
    ]);
    expect(iso(nextRun(s, at('2026-11-01T05:30:00Z')))).toBe('2026-11-08T06:30:00.000Z');
    expect(iso(nextRun(s, at('2026-11-01T06:00:00Z')))).toBe('2026-11-08T06:30:00.000Z');
  });

  it('a Monday 09:00 Berlin slot keeps its local time across the change (08:00Z → 07:00Z)', () => {
    expect(nextRuns(slot(1, '09:00', 'Europe/Berlin'), at('2026-03-20T00:00:00Z'), 2).map(iso)).toEqual([
      '2026-03-23T08:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
    ]);
  });
});

describe('isoWeekKey: the period of the local slot', () => {
  it('names the ISO week of the local date', () => {
    expect(isoWeekKey(at('2026-11-23T08:00:00Z'), 'UTC')).toBe('2026-W48');
    expect(isoWeekKey(at('2026-11-30T08:00:00Z'), 'Europe/Berlin')).toBe('2026-W49');
    expect(isoWeekKey(at('2026-12-06T23:59:59Z'), 'UTC')).toBe('2026-W49');
    expect(isoWeekKey(at('2026-12-07T00:00:00Z'), 'UTC')).toBe('2026-W50');
  });

  it('uses the local date, not the UTC date', () => {
    // Sunday 23:30 UTC is already Monday in Berlin and Kolkata, still Sunday in New York
    const t = at('2026-11-29T23:30:00Z');
    expect(isoWeekKey(t, 'UTC')).toBe('2026-W48');
    expect(isoWeekKey(t, 'Europe/Berlin')).toBe('2026-W49');
    expect(isoWeekKey(t, 'Asia/Kolkata')).toBe('2026-W49');
    expect(isoWeekKey(t, 'America/New_York')).toBe('2026-W48');
    // a Monday 01:00 Kolkata slot (Sunday 19:30 UTC) belongs to the Monday's week
    expect(isoWeekKey(nextRun(slot(1, '01:00', 'Asia/Kolkata'), at('2026-11-25T00:00:00Z')), 'Asia/Kolkata')).toBe('2026-W49');
  });

  it('around New Year the ISO year can differ from the calendar year', () => {
    expect(isoWeekKey(at('2026-12-31T12:00:00Z'), 'UTC')).toBe('2026-W53'); // 2026 has 53 ISO weeks (starts on a Thursday)
    expect(isoWeekKey(at('2027-01-01T12:00:00Z'), 'UTC')).toBe('2026-W53');
    expect(isoWeekKey(at('2027-01-03T12:00:00Z'), 'UTC')).toBe('2026-W53');
    expect(isoWeekKey(at('2027-01-04T12:00:00Z'), 'UTC')).toBe('2027-W01');
    expect(isoWeekKey(at('2024-12-30T12:00:00Z'), 'UTC')).toBe('2025-W01'); // Monday of 2025's first week
    expect(isoWeekKey(at('2021-01-03T12:00:00Z'), 'UTC')).toBe('2020-W53');
    expect(isoWeekKey(at('2021-01-04T12:00:00Z'), 'UTC')).toBe('2021-W01');
    // New Year's Eve 23:30 UTC is already 2027-01-01 in Berlin, still in 2026-W53
    expect(isoWeekKey(at('2026-12-31T23:30:00Z'), 'Europe/Berlin')).toBe('2026-W53');
    // Sunday evening UTC is already Monday of the next ISO year in Kolkata
    expect(isoWeekKey(at('2027-01-03T20:00:00Z'), 'Asia/Kolkata')).toBe('2027-W01'); // Monday 01:30 local
    expect(isoWeekKey(at('2027-01-03T20:00:00Z'), 'UTC')).toBe('2026-W53');
  });

  it('names the week before (last week\'s digest), across New Year', () => {
    expect(previousWeekKey('2026-W50')).toBe('2026-W49');
    expect(previousWeekKey('2027-W01')).toBe('2026-W53');
    expect(previousWeekKey('2026-W01')).toBe('2025-W52');
    expect(previousWeekKey('2021-W01')).toBe('2020-W53');
    expect(previousWeekKey('now:2026-11-30T08:00:00.000Z')).toBeNull();
  });

  it('every slot of a year gets a distinct key (one claim per week)', () => {
    const runs = nextRuns(slot(1, '00:30', 'Europe/Berlin'), at('2026-01-01T00:00:00Z'), 60);
    const keys = runs.map((d) => isoWeekKey(d, 'Europe/Berlin'));
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.every(isWeeklyPeriodKey)).toBe(true);
    expect(isWeeklyPeriodKey('now:2026-11-30T08:00:00.000Z')).toBe(false);
    expect(isWeeklyPeriodKey('alert:example.com:2026-11-30')).toBe(false);
  });
});

describe('daily alert slots', () => {
  it('is the latest local HH:MM at or before now', () => {
    const s = { time: '09:00', timeZone: 'Europe/Berlin' };
    expect(iso(latestDailySlot(s, at('2026-12-02T07:59:00Z')))).toBe('2026-12-01T08:00:00.000Z');
    expect(iso(latestDailySlot(s, at('2026-12-02T08:00:00Z')))).toBe('2026-12-02T08:00:00.000Z');
    expect(localDateKey(latestDailySlot(s, at('2026-12-02T08:00:00Z')), 'Europe/Berlin')).toBe('2026-12-02');
  });

  it('handles the spring-forward day (a 23-hour day)', () => {
    const s = { time: '02:30', timeZone: 'Europe/Berlin' };
    expect(iso(latestDailySlot(s, at('2026-03-29T12:00:00Z')))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(latestDailySlot(s, at('2026-03-30T12:00:00Z')))).toBe('2026-03-30T00:30:00.000Z');
  });

  it('local date keys follow the zone', () => {
    expect(localDateKey(at('2026-11-29T23:30:00Z'), 'Europe/Berlin')).toBe('2026-11-30');
    expect(localDateKey(at('2026-11-29T23:30:00Z'), 'America/New_York')).toBe('2026-11-29');
  });
});

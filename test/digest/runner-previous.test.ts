/**
 * Which earlier run a digest compares with ("the change since last week"), and regression
 * alerts, with fake checks on a manual clock.
 */
import { describe, expect, it } from 'vitest';
import { digestCutoff, previousRun, runAlerts, runDigest, runNow, alertPeriodKey } from '../../src/digest/runner.ts';
import { DAY, HOUR, RecordingPort, SLACK_CHANNEL, WEEK, harness } from './helpers.ts';

const C1 = SLACK_CHANNEL;
const T0 = Date.parse('2026-11-30T08:00:00.000Z');

describe('the previous run of a weekly digest', () => {
  it('is what last week\'s digest showed, even when the domain was checked in between', async () => {
    const h = await harness('2026-11-30T08:00:00.000Z');
    const port = new RecordingPort(h.chat);
    const deps = { store: h.store, port, clock: h.clock, check: h.checks.check };
    await h.store.watch(C1, 'a.example');

    h.checks.set('a.example', { grade: 'A', score: 95 });
    await runDigest({ ...deps, channel: C1, periodKey: '2026-W49' });

    // Wednesday: the domain regressed; someone asks for the digest now
    h.checks.set('a.example', { grade: 'C', score: 70, codes: ['spf.pass_all'] });
    h.clock.set(T0 + 2 * DAY);
    const mid = await runNow({ ...deps, channel: C1 });
    expect(mid.digest?.entries[0]).toMatchObject({ status: 'regressed', previousGrade: 'A', grade: 'C' });

    // next Monday: still C — the weekly digest compares with last week's digest (A), not Wednesday's check
    h.clock.set(T0 + WEEK);
    const w50 = await runDigest({ ...deps, channel: C1, periodKey: '2026-W50' });
    expect(w50.digest?.entries[0]).toMatchObject({ status: 'regressed', previousGrade: 'A', grade: 'C' });
    expect(w50.digest?.entries[0]?.newFindings.shown.map((f) => f.code)).toEqual(['spf.pass_all']);

    // the week after: unchanged since W50
    h.clock.set(T0 + 2 * WEEK);
    const w51 = await runDigest({ ...deps, channel: C1, periodKey: '2026-W51' });
    expect(w51.digest?.entries[0]).toMatchObject({ status: 'unchanged', previousGrade: 'C', grade: 'C' });
  });

  it('names the DMARC change from last week\'s history row when a newer check replaced its full report', async () => {
    const h = await harness('2026-11-30T08:00:00.000Z');
    const port = new RecordingPort(h.chat);
    const deps = { store: h.store, port, clock: h.clock, check: h.checks.check };
    await h.store.watch(C1, 'a.example');
    h.checks.set('a.example', { grade: 'C', score: 72, codes: ['dmarc.policy_none'], dmarcPolicy: 'none' });
    await runDigest({ ...deps, channel: C1, periodKey: '2026-W49' });
    // a chat check on Wednesday: the store's full report is now Wednesday's, W49's is history only
    h.clock.set(T0 + 2 * DAY);
    await h.store.saveReport(await h.checks.check('a.example'));
    h.checks.set('a.example', { grade: 'A', score: 95, dmarcPolicy: 'reject' });
    h.clock.set(T0 + WEEK);
    const w50 = await runDigest({ ...deps, channel: C1, periodKey: '2026-W50' });
    expect(w50.digest?.entries[0]?.notable).toMatch(/DMARC moved from none to reject/);
  });

  it('without last week\'s digest, the latest check at least 6½ days old serves, else the earliest', async () => {
    const h = await harness('2026-11-30T08:00:00.000Z');
    for (const [t, grade] of [[T0 - 9 * DAY, 'A'], [T0 - 8 * DAY, 'B'], [T0 - 2 * DAY, 'D']] as const) {
      h.clock.set(t);
      await h.store.saveReport(await h.checks.set('a.example', { grade }).check('a.example'));
    }
    h.clock.set(T0);
    const cutoff = await digestCutoff(h.store, C1, '2026-W49', h.clock.now());
    expect(cutoff.getTime()).toBe(T0 - 6.5 * DAY);
    expect((await previousRun(h.store, 'a.example', cutoff, h.clock.now()))?.grade).toBe('B');
    // only recent checks: the earliest of them
    expect((await previousRun(h.store, 'a.example', new Date(T0 - 20 * DAY), h.clock.now()))?.grade).toBe('A');
    // alerts: the latest before now — the full report, with its DMARC/MTA-STS facts when known
    const latest = await previousRun(h.store, 'a.example', h.clock.now(), h.clock.now());
    expect(latest).toMatchObject({ grade: 'D', checkedAt: new Date(T0 - 2 * DAY).toISOString() });
    expect(latest?.untested).toEqual([]);
    // a domain never checked
    expect(await previousRun(h.store, 'never.example', cutoff, h.clock.now())).toBeNull();
  });
});

describe('runAlerts', () => {
  it('posts one alert per regressed domain and date, compared with the latest earlier check', async () => {
    const h = await harness('2026-12-01T08:00:00.000Z');
    const port = new RecordingPort(h.chat);
    const deps = { store: h.store, port, clock: h.clock, check: h.checks.check, channel: C1 };
    await h.store.watch(C1, 'a.example');
    await h.store.watch(C1, 'b.example');
    h.checks.set('a.example', { grade: 'A', score: 95 }).set('b.example', { grade: 'B', score: 80 });
    expect(await runAlerts({ ...deps, dateKey: '2026-12-01' })).toEqual([]); // first checks: nothing to compare

    h.clock.advance(DAY);
    h.checks.set('a.example', { grade: 'A', score: 85 }); // same grade, 10 points down: a regression
    h.checks.set('b.example', { grade: 'A', score: 92 }); // improved: no alert
    const results = await runAlerts({ ...deps, dateKey: '2026-12-02' });
    expect(results.map((r) => [r.domain, r.outcome.status, r.outcome.periodKey])).toEqual([
      ['a.example', 'delivered', 'alert:a.example:2026-12-02'],
    ]);
    expect(h.chat.messages.map((m) => [m.kind, m.digest.title])).toEqual([['alert', 'Posture alert: a.example regressed']]);
    expect(h.chat.messages[0]!.digest.headline).toMatch(/^a\.example: grade A, score 85 \(-10\)/);

    // the same day again, even after a still-worse check: claimed already
    h.clock.advance(HOUR);
    h.checks.set('a.example', { grade: 'B', score: 75 });
    expect(await runAlerts({ ...deps, dateKey: '2026-12-02' })).toEqual([]);
    expect(h.chat.messages).toHaveLength(1);
  });

  it('alert keys stay within the store\'s key length for very long domains', () => {
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.example`;
    const key = alertPeriodKey(long, '2026-12-01');
    expect(key.length).toBeLessThanOrEqual(200);
    expect(key).toMatch(/^alert:[0-9a-f]{32}:2026-12-01$/);
    expect(alertPeriodKey('example.com', '2026-12-01')).toBe('alert:example.com:2026-12-01');
  });
});

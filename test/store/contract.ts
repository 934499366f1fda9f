/**
 * The store contract: every `Store` implementation (SQLite now, PostgreSQL with the scale-out
 * work) must pass this suite unchanged.
 *
 *   storeContract('sqlite (file)', (options) => openStore(`sqlite:${tmpFile()}`, options), cleanupFn);
 *
 * `make` must return an open store holding no data, using `options.now` as its clock for the
 * timestamps it sets itself. `cleanup` (optional) runs after each test, once the store is closed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Report } from '../../src/checker/types.ts';
import {
  InvalidDomainError,
  InvalidReportError,
  InvalidScheduleError,
  NotFoundError,
  StoreError,
  WATCH_LIMIT,
  WatchLimitError,
  type ChannelRef,
  type Store,
  type StoreOptions,
} from '../../src/store/types.ts';
import { DAY, HOUR, MINUTE, TestClock, WEEK, channel, domains, makeReport } from './fixtures.ts';

export function storeContract(
  name: string,
  make: (options: StoreOptions) => Promise<Store>,
  cleanup?: () => Promise<void> | void,
): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let clock: TestClock;

    beforeEach(async () => {
      clock = new TestClock();
      store = await make({ now: clock.now });
    });

    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    // ─── installations ──────────────────────────────────────────────────────────────────────

    describe('installations', () => {
      const ws = { platform: 'slack', workspaceId: 'T1' } as const;
      const secrets = { bot: { token: 'xoxb-1', scopes: ['chat:write', 'commands'] }, team: { id: 'T1', name: 'Acme' } };

      it('stores an installation and fetches it by workspace', async () => {
        const saved = await store.upsertInstallation({
          ...ws, secrets, workspaceName: 'Acme', installedBy: 'U1', timeZone: 'Europe/Berlin',
        });
        expect(saved).toEqual({
          platform: 'slack', workspaceId: 'T1', workspaceName: 'Acme', secrets, installedBy: 'U1',
          timeZone: 'Europe/Berlin', installedAt: clock.now(), updatedAt: clock.now(), revokedAt: null,
        });
        expect(await store.getInstallation(ws)).toEqual(saved);
        expect(await store.getInstallation({ platform: 'slack', workspaceId: 'T2' })).toBeNull();
        expect(await store.getInstallation({ platform: 'discord', workspaceId: 'T1' })).toBeNull();
      });

      it('upserts: replaces the secrets, keeps installedAt and unspecified fields', async () => {
        const first = await store.upsertInstallation({ ...ws, secrets, workspaceName: 'Acme', timeZone: 'America/New_York' });
        clock.advance(HOUR);
        const second = await store.upsertInstallation({ ...ws, secrets: { bot: { token: 'xoxb-2' } }, installedBy: 'U9' });
        expect(second.secrets).toEqual({ bot: { token: 'xoxb-2' } });
        expect(second.workspaceName).toBe('Acme');
        expect(second.timeZone).toBe('America/New_York');
        expect(second.installedBy).toBe('U9');
        expect(second.installedAt).toEqual(first.installedAt);
        expect(second.updatedAt).toEqual(clock.now());
        const third = await store.upsertInstallation({ ...ws, secrets, workspaceName: null, timeZone: null });
        expect(third.workspaceName).toBeNull();
        expect(third.timeZone).toBeNull();
        expect((await store.upsertInstallation({ ...ws, secrets, timeZone: 'europe/berlin' })).timeZone).toBe('Europe/Berlin');
        expect(await store.listInstallations()).toHaveLength(1);
      });

      it('revokes: forgets the secrets, hides it unless asked, and a new install brings it back', async () => {
        await store.upsertInstallation({ ...ws, secrets, workspaceName: 'Acme' });
        clock.advance(DAY);
        expect(await store.revokeInstallation(ws)).toBe(true);
        expect(await store.revokeInstallation(ws)).toBe(false);
        expect(await store.revokeInstallation({ platform: 'slack', workspaceId: 'nope' })).toBe(false);
        expect(await store.getInstallation(ws)).toBeNull();
        const revoked = await store.getInstallation(ws, { includeRevoked: true });
        expect(revoked?.revokedAt).toEqual(clock.now());
        expect(revoked?.secrets).toBeNull();
        expect(revoked?.workspaceName).toBe('Acme');
        expect(await store.listInstallations()).toEqual([]);
        expect(await store.listInstallations({ includeRevoked: true })).toHaveLength(1);

        clock.advance(DAY);
        const again = await store.upsertInstallation({ ...ws, secrets });
        expect(again.revokedAt).toBeNull();
        expect(again.installedAt).toEqual(clock.now());
        expect(again.secrets).toEqual(secrets);
      });

      it('lists by platform, ordered, and keeps platforms apart', async () => {
        await store.upsertInstallation({ platform: 'discord', workspaceId: '900', secrets: null });
        await store.upsertInstallation({ platform: 'slack', workspaceId: 'T2', secrets: {} });
        await store.upsertInstallation({ platform: 'slack', workspaceId: 'T1', secrets: {} });
        await store.upsertInstallation({ platform: 'discord', workspaceId: 'T1', secrets: { guild: true } });
        const all = await store.listInstallations();
        expect(all.map((i) => `${i.platform}/${i.workspaceId}`)).toEqual(['discord/900', 'discord/T1', 'slack/T1', 'slack/T2']);
        expect((await store.listInstallations({ platform: 'slack' })).map((i) => i.workspaceId)).toEqual(['T1', 'T2']);
        expect((await store.getInstallation({ platform: 'discord', workspaceId: 'T1' }))?.secrets).toEqual({ guild: true });
        expect((await store.getInstallation({ platform: 'slack', workspaceId: 'T1' }))?.secrets).toEqual({});
      });

      it('refuses a bad time zone, a bad platform or secrets that are not JSON, with no side effect', async () => {
        await expect(store.upsertInstallation({ ...ws, secrets, timeZone: 'Mars/Olympus' })).rejects.toBeInstanceOf(StoreError);
        await expect(store.upsertInstallation({ ...ws, secrets: { n: 1n } })).rejects.toBeInstanceOf(StoreError);
        await expect(
          store.upsertInstallation({ platform: 'teams' as 'slack', workspaceId: 'T1', secrets }),
        ).rejects.toBeInstanceOf(StoreError);
        await expect(store.upsertInstallation({ platform: 'slack', workspaceId: '', secrets })).rejects.toBeInstanceOf(StoreError);
        expect(await store.listInstallations({ includeRevoked: true })).toEqual([]);
      });
    });

    // ─── watch lists ────────────────────────────────────────────────────────────────────────

    describe('watch lists', () => {
      const ch = channel('C1');

      it('watches a domain, normalised as the CLI does', async () => {
        expect(await store.watch(ch, 'Example.COM.', { addedBy: 'U1' })).toEqual({ added: true, domain: 'example.com', count: 1 });
        expect(await store.watch(ch, 'bücher.example')).toEqual({ added: true, domain: 'xn--bcher-kva.example', count: 2 });
        expect(await store.watchList(ch)).toEqual([
          { channel: ch, domain: 'example.com', addedBy: 'U1', addedAt: clock.now() },
          { channel: ch, domain: 'xn--bcher-kva.example', addedBy: null, addedAt: clock.now() },
        ]);
      });

      it('ignores duplicates, however they are spelled', async () => {
        await store.watch(ch, 'example.com');
        expect(await store.watch(ch, 'EXAMPLE.com.')).toEqual({ added: false, domain: 'example.com', count: 1 });
        expect(await store.watch(ch, 'postmaster@example.com')).toEqual({ added: false, domain: 'example.com', count: 1 });
        expect(await store.watchList(ch)).toHaveLength(1);
      });

      it('refuses invalid domains with a typed error and no side effect', async () => {
        for (const bad of ['https://example.com/', 'not a domain', 'localhost', '192.0.2.1', '']) {
          const err = await store.watch(ch, bad).catch((e: unknown) => e);
          expect(err, bad).toBeInstanceOf(InvalidDomainError);
          expect((err as InvalidDomainError).message.length).toBeGreaterThan(0);
        }
        await expect(store.unwatch(ch, 'https://example.com/')).rejects.toBeInstanceOf(InvalidDomainError);
        expect(await store.watchList(ch)).toEqual([]);
        expect(await store.watchedDomains()).toEqual([]);
      });

      it(`allows ${WATCH_LIMIT} domains a channel, then a clear WatchLimitError`, async () => {
        const names = domains(WATCH_LIMIT);
        for (const [i, d] of names.entries()) expect(await store.watch(ch, d)).toMatchObject({ added: true, count: i + 1 });
        const err = await store.watch(ch, 'one-too-many.example').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(WatchLimitError);
        expect(err).toBeInstanceOf(StoreError);
        expect((err as WatchLimitError).message).toContain(String(WATCH_LIMIT));
        expect((err as WatchLimitError).message).toContain('one-too-many.example');
        expect((err as WatchLimitError).limit).toBe(WATCH_LIMIT);
        expect(await store.watchList(ch)).toHaveLength(WATCH_LIMIT);
        // a duplicate at the limit is still a no-op, not an error
        expect(await store.watch(ch, names[0]!)).toEqual({ added: false, domain: names[0], count: WATCH_LIMIT });
        // unwatching makes room
        expect(await store.unwatch(ch, names[0]!)).toEqual({ removed: true, domain: names[0], count: WATCH_LIMIT - 1 });
        expect(await store.watch(ch, 'one-too-many.example')).toMatchObject({ added: true, count: WATCH_LIMIT });
        // the limit is per channel
        expect(await store.watch(channel('C2'), 'one-more.example')).toMatchObject({ added: true, count: 1 });
      });

      it('refuses concurrent watches past the limit too', async () => {
        for (const d of domains(WATCH_LIMIT - 2)) await store.watch(ch, d);
        const results = await Promise.allSettled(domains(5, 'x').map((d) => store.watch(ch, d)));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(WatchLimitError);
        expect(await store.watchList(ch)).toHaveLength(WATCH_LIMIT);
      });

      it('unwatches; unwatching what is not watched is a no-op', async () => {
        await store.watch(ch, 'example.com');
        await store.watch(ch, 'example.org');
        expect(await store.unwatch(ch, 'Example.COM')).toEqual({ removed: true, domain: 'example.com', count: 1 });
        expect(await store.unwatch(ch, 'example.com')).toEqual({ removed: false, domain: 'example.com', count: 1 });
        expect(await store.unwatch(channel('nowhere'), 'example.com')).toEqual({ removed: false, domain: 'example.com', count: 0 });
        expect((await store.watchList(ch)).map((w) => w.domain)).toEqual(['example.org']);
      });

      it('keeps channels apart: same channel id on two platforms and two workspaces', async () => {
        const a: ChannelRef = { platform: 'slack', workspaceId: 'W', channelId: 'C1' };
        const b: ChannelRef = { platform: 'discord', workspaceId: 'W', channelId: 'C1' };
        const c: ChannelRef = { platform: 'slack', workspaceId: 'W2', channelId: 'C1' };
        await store.watch(a, 'a.example');
        await store.watch(b, 'b.example');
        await store.watch(c, 'c.example');
        await store.watch(c, 'a.example');
        expect((await store.watchList(a)).map((w) => w.domain)).toEqual(['a.example']);
        expect((await store.watchList(b)).map((w) => w.domain)).toEqual(['b.example']);
        expect((await store.watchList(c)).map((w) => w.domain)).toEqual(['a.example', 'c.example']);
        expect((await store.watchList(b))[0]?.channel).toEqual(b);
        await store.unwatch(a, 'a.example');
        expect((await store.watchList(c)).map((w) => w.domain)).toEqual(['a.example', 'c.example']);
        expect(await store.watchList(channel('C-unknown'))).toEqual([]);
      });

      it('lists every watched domain once', async () => {
        await store.watch(channel('C1'), 'b.example');
        await store.watch(channel('C2'), 'b.example');
        await store.watch(channel('C2'), 'a.example');
        expect(await store.watchedDomains()).toEqual(['a.example', 'b.example']);
      });

      it('lists the channels of a workspace that watch something', async () => {
        await store.watch(channel('C2'), 'b.example');
        await store.watch(channel('C1'), 'a.example');
        await store.watch(channel('C1'), 'b.example');
        await store.watch(channel('C3', 'T2'), 'a.example');
        await store.watch(channel('C4'), 'c.example');
        await store.unwatch(channel('C4'), 'c.example');
        expect((await store.watchingChannels({ platform: 'slack', workspaceId: 'T1' })).map((c) => c.channelId)).toEqual(['C1', 'C2']);
        expect(await store.watchingChannels({ platform: 'discord', workspaceId: 'T1' })).toEqual([]);
      });

      it('refuses a malformed channel', async () => {
        await expect(store.watch({ platform: 'slack', workspaceId: 'T1', channelId: '' }, 'example.com')).rejects.toBeInstanceOf(StoreError);
        await expect(store.watch({ platform: 'irc' as 'slack', workspaceId: 'T1', channelId: 'C' }, 'example.com')).rejects.toBeInstanceOf(StoreError);
      });
    });

    // ─── schedules ──────────────────────────────────────────────────────────────────────────

    describe('schedules', () => {
      const ch = channel('C1');

      it('has no schedule until one is set; defaults are Monday 09:00 UTC, enabled, no alerts', async () => {
        expect(await store.getSchedule(ch)).toBeNull();
        const s = await store.setSchedule(ch);
        expect(s).toEqual({
          channel: ch, weekday: 1, time: '09:00', timeZone: 'UTC', enabled: true, disabledReason: null,
          alertOnRegression: false, nextRunAt: null, createdAt: clock.now(), updatedAt: clock.now(),
        });
        expect(await store.getSchedule(ch)).toEqual(s);
        expect(await store.getSchedule(channel('C1', 'T1', 'discord'))).toBeNull();
      });

      it("defaults to the workspace's time zone when the installation knows it", async () => {
        await store.upsertInstallation({ platform: 'slack', workspaceId: 'T1', secrets: {}, timeZone: 'Asia/Tokyo' });
        expect((await store.setSchedule(ch)).timeZone).toBe('Asia/Tokyo');
        expect((await store.setSchedule(channel('C1', 'T2'))).timeZone).toBe('UTC');
      });

      it('updates some fields and keeps the others', async () => {
        await store.setSchedule(ch, { alertOnRegression: true });
        clock.advance(MINUTE);
        const s = await store.setSchedule(ch, { weekday: 5, time: '17:30', timeZone: 'Europe/Berlin' });
        expect(s).toMatchObject({ weekday: 5, time: '17:30', timeZone: 'Europe/Berlin', enabled: true, alertOnRegression: true });
        expect(s.updatedAt).toEqual(clock.now());
        expect(s.createdAt).toEqual(new Date(clock.t - MINUTE));
        expect((await store.setSchedule(ch, { alertOnRegression: false })).alertOnRegression).toBe(false);
        expect((await store.setSchedule(ch, { weekday: 7 })).weekday).toBe(7);
        expect((await store.setSchedule(ch, { timeZone: 'america/new_york' })).timeZone).toBe('America/New_York');
      });

      it('refuses invalid schedules with a typed error and no side effect', async () => {
        const bad = [
          { weekday: 0 }, { weekday: 8 }, { weekday: 1.5 }, { time: '9:00' }, { time: '24:00' }, { time: '12:60' },
          { time: 'noon' }, { timeZone: 'Mars/Olympus' }, { timeZone: '' },
        ];
        for (const patch of bad) {
          await expect(store.setSchedule(ch, patch as never), JSON.stringify(patch)).rejects.toBeInstanceOf(InvalidScheduleError);
        }
        expect(await store.getSchedule(ch)).toBeNull();
      });

      it('plans: nextRunAt is set by the scheduler, and reset when the timing changes', async () => {
        const at = new Date('2026-12-07T09:00:00Z');
        await store.setSchedule(ch);
        expect((await store.unplannedSchedules()).map((s) => s.channel)).toEqual([ch]);
        clock.advance(MINUTE);
        await store.setNextRunAt(ch, at);
        const planned = await store.getSchedule(ch);
        expect(planned?.nextRunAt).toEqual(at);
        expect(planned?.updatedAt).toEqual(new Date(clock.t - MINUTE)); // planning is not a user change
        expect(await store.unplannedSchedules()).toEqual([]);
        expect((await store.setSchedule(ch, { alertOnRegression: true })).nextRunAt).toEqual(at);
        expect((await store.setSchedule(ch, { time: '10:00' })).nextRunAt).toBeNull();
        const other = new Date('2026-12-08T10:00:00Z');
        expect((await store.setSchedule(ch, { weekday: 2, nextRunAt: other })).nextRunAt).toEqual(other);
        await store.setNextRunAt(channel('no-schedule'), at); // a no-op
        expect(await store.getSchedule(channel('no-schedule'))).toBeNull();
      });

      it('disables with a reason; enabling again clears it and asks for a new plan', async () => {
        await store.setSchedule(ch, { nextRunAt: new Date('2026-12-07T09:00:00Z') });
        const off = await store.disableSchedule(ch, 'channel_not_found');
        expect(off).toMatchObject({ enabled: false, disabledReason: 'channel_not_found' });
        expect(await store.unplannedSchedules()).toEqual([]);
        const on = await store.setSchedule(ch, { enabled: true });
        expect(on).toMatchObject({ enabled: true, disabledReason: null, nextRunAt: null });
        const userOff = await store.setSchedule(ch, { enabled: false });
        expect(userOff).toMatchObject({ enabled: false, disabledReason: null });
        await expect(store.disableSchedule(ch, '')).rejects.toBeInstanceOf(StoreError);
      });

      it('disabling a channel without a schedule records a disabled one', async () => {
        const s = await store.disableSchedule(ch, 'missing_access');
        expect(s).toMatchObject({ weekday: 1, time: '09:00', timeZone: 'UTC', enabled: false, disabledReason: 'missing_access' });
      });

      it('lists due channels: enabled, nextRunAt <= now, earliest first', async () => {
        const now = new Date('2026-12-07T09:00:00Z');
        const a = channel('A'), b = channel('B'), c = channel('C'), d = channel('D'), e = channel('E');
        await store.setSchedule(a, { nextRunAt: new Date(now.getTime() - HOUR) });
        await store.setSchedule(b, { nextRunAt: now });
        await store.setSchedule(c, { nextRunAt: new Date(now.getTime() + MINUTE) });
        await store.setSchedule(d, { nextRunAt: new Date(now.getTime() - 2 * HOUR) });
        await store.disableSchedule(d, 'bot removed');
        await store.setSchedule(e); // unplanned
        const due = await store.dueChannels(now);
        expect(due.map((s) => s.channel.channelId)).toEqual(['A', 'B']);
        expect((await store.dueChannels(new Date(now.getTime() + HOUR))).map((s) => s.channel.channelId)).toEqual(['A', 'B', 'C']);
        expect(await store.dueChannels(new Date(now.getTime() - 3 * HOUR))).toEqual([]);
      });

      it('never lists channels of a revoked workspace as due; a new install brings them back', async () => {
        const now = new Date('2026-12-07T09:00:00Z');
        await store.upsertInstallation({ platform: 'slack', workspaceId: 'T1', secrets: {} });
        await store.setSchedule(channel('A', 'T1'), { nextRunAt: now });
        await store.setSchedule(channel('A', 'G1', 'discord'), { nextRunAt: now }); // no installation row: still due
        await store.revokeInstallation({ platform: 'slack', workspaceId: 'T1' });
        expect((await store.dueChannels(now)).map((s) => s.channel)).toEqual([channel('A', 'G1', 'discord')]);
        await store.upsertInstallation({ platform: 'slack', workspaceId: 'T1', secrets: {} });
        expect(await store.dueChannels(now)).toHaveLength(2);
      });
    });

    // ─── check history ──────────────────────────────────────────────────────────────────────

    describe('check history', () => {
      const t0 = new Date('2026-11-30T10:00:00.000Z');

      it('saves a report and returns it as the latest, validated', async () => {
        const r = makeReport('example.com', t0, { grade: 'C', score: 61, codes: ['spf.softfail_all', 'dmarc.policy_none', 'mta_sts.missing'] });
        const entry = await store.saveReport(r);
        expect(entry).toEqual({
          domain: 'example.com', checkedAt: t0, grade: 'C', score: 61,
          codes: ['dmarc.policy_none', 'mta_sts.missing', 'spf.softfail_all'],
          facts: { untested: [] },
        });
        expect(await store.latestReport('example.com')).toEqual(r);
        expect(await store.latestReport('EXAMPLE.com.')).toEqual(r);
        expect(await store.latestReport('example.org')).toBeNull();
        await expect(store.latestReport('not a domain')).rejects.toBeInstanceOf(InvalidDomainError);
      });

      it('keeps the policy facts with each history row (the diff names DMARC and MTA-STS changes from them)', async () => {
        const r = makeReport('example.com', t0, { grade: 'B', score: 85 });
        const dmarc = r.checks.find((c) => c.id === 'dmarc')!;
        dmarc.evidence = { ...dmarc.evidence, policy: 'reject' };
        const sts = r.checks.find((c) => c.id === 'mta_sts')!;
        sts.evidence = { ...sts.evidence, effectiveMode: 'enforce' };
        const bimi = r.checks.find((c) => c.id === 'bimi')!;
        bimi.status = 'untested';
        await store.saveReport(r);
        const [row] = await store.history('example.com', new Date(0));
        expect(row?.facts).toEqual({ untested: ['bimi'], dmarcPolicy: 'reject', mtaStsMode: 'enforce' });
      });

      it('the latest is the newest checkedAt, whatever order reports were saved in', async () => {
        const newer = makeReport('example.com', new Date(t0.getTime() + WEEK), { grade: 'A', score: 95 });
        const older = makeReport('example.com', t0, { grade: 'D', score: 40 });
        await store.saveReport(newer);
        await store.saveReport(older);
        expect((await store.latestReport('example.com'))?.grade).toBe('A');
      });

      it('keeps compact history rows, oldest first, within [since, until)', async () => {
        const weeks = Array.from({ length: 10 }, (_, i) => new Date(t0.getTime() - (9 - i) * WEEK));
        for (const [i, at] of weeks.entries()) {
          await store.saveReport(makeReport('example.com', at, { score: 50 + i, codes: i % 2 ? ['dkim.not_found'] : [] }));
        }
        await store.saveReport(makeReport('example.org', t0, { score: 10, grade: 'F' }));
        const eight = await store.history('example.com', new Date(t0.getTime() - 7 * WEEK));
        expect(eight.map((h) => h.score)).toEqual([52, 53, 54, 55, 56, 57, 58, 59]);
        expect(eight.every((h) => h.domain === 'example.com')).toBe(true);
        expect(eight[1]).toEqual({ domain: 'example.com', checkedAt: weeks[3], grade: 'B', score: 53, codes: ['dkim.not_found'], facts: { untested: [] } });
        expect(eight[0]?.codes).toEqual([]);
        // since is inclusive, until exclusive: "last week" = [t0 - 1 week, t0)
        const lastWeek = await store.history('Example.com', new Date(t0.getTime() - WEEK), t0);
        expect(lastWeek.map((h) => h.checkedAt)).toEqual([weeks[8]]);
        expect(await store.history('example.net', new Date(0))).toEqual([]);
      });

      it('saving the same report twice keeps one row', async () => {
        const r = makeReport('example.com', t0);
        await store.saveReport(r);
        await store.saveReport(r);
        expect(await store.history('example.com', new Date(0))).toHaveLength(1);
      });

      it('refuses an invalid report with a typed error and no side effect', async () => {
        const good = makeReport('example.com', t0);
        const bad: unknown[] = [
          { ...good, schema: 'posture.report/v0' },
          { ...good, score: 101 },
          { ...good, grade: 'E' },
          { ...good, domain: 'Example.COM.' },
          { ...good, checks: good.checks.slice(1) },
          { ...good, checkedAt: 'yesterday' },
        ];
        for (const r of bad) await expect(store.saveReport(r as Report)).rejects.toBeInstanceOf(InvalidReportError);
        expect(await store.latestReport('example.com')).toBeNull();
        expect(await store.history('example.com', new Date(0))).toEqual([]);
      });
    });

    // ─── digest runs and deliveries ─────────────────────────────────────────────────────────

    describe('digest runs and deliveries', () => {
      const ch = channel('C1');

      it('claims a period once per channel', async () => {
        const claim = await store.claimDigest(ch, '2026-W49');
        expect(claim).toEqual({ runId: expect.any(String), channel: ch, periodKey: '2026-W49', claimedAt: clock.now() });
        expect(claim!.runId.length).toBeLessThanOrEqual(25);
        expect(await store.claimDigest(ch, '2026-W49')).toBeNull();
        expect(await store.claimDigest(ch, '2026-W50')).not.toBeNull();
        expect(await store.claimDigest(channel('C2'), '2026-W49')).not.toBeNull();
        expect(await store.claimDigest(channel('C1', 'T1', 'discord'), '2026-W49')).not.toBeNull();
        expect(await store.claimDigest(channel('C1', 'T2'), '2026-W49')).not.toBeNull();
        const run = await store.getDigestRun(ch, '2026-W49');
        expect(run).toEqual({
          id: claim!.runId, channel: ch, periodKey: '2026-W49', status: 'claimed', note: null,
          claimedAt: clock.now(), updatedAt: clock.now(),
        });
        expect(await store.getDigestRun(ch, '2025-W01')).toBeNull();
        await expect(store.claimDigest(ch, '')).rejects.toBeInstanceOf(StoreError);
      });

      it('concurrent claims: exactly one wins', async () => {
        const claims = await Promise.all(Array.from({ length: 8 }, () => store.claimDigest(ch, '2026-W49')));
        expect(claims.filter((c) => c !== null)).toHaveLength(1);
      });

      it('intent, then delivered: the run is delivered and nothing is pending', async () => {
        const claim = (await store.claimDigest(ch, '2026-W49'))!;
        clock.advance(MINUTE);
        const d = await store.recordDeliveryIntent(claim.runId, { blocks: 12, hash: 'abc' });
        expect(d).toEqual({
          id: expect.any(String), runId: claim.runId, channel: ch, periodKey: '2026-W49', part: 0, status: 'pending',
          payload: { blocks: 12, hash: 'abc' }, messageId: null, failures: 0, lastError: null,
          intentAt: clock.now(), deliveredAt: null, updatedAt: clock.now(),
        });
        expect(d.id.length).toBeLessThanOrEqual(25);
        expect(d.id).not.toBe(claim.runId);
        expect((await store.getDigestRun(ch, '2026-W49'))?.status).toBe('delivering');
        clock.advance(MINUTE);
        const done = await store.markDelivered(d.id, '1733130000.000100');
        expect(done).toMatchObject({ status: 'delivered', messageId: '1733130000.000100', deliveredAt: clock.now() });
        expect((await store.getDigestRun(ch, '2026-W49'))?.status).toBe('delivered');
        expect(await store.pendingDeliveries()).toEqual([]);
        // idempotent: a second report of the same post changes nothing
        expect(await store.markDelivered(d.id, 'another-id')).toEqual(done);
        expect(await store.deliveries(claim.runId)).toEqual([done]);
      });

      it('an intent without "delivered" is pending: the crash window is visible after a restart', async () => {
        const claim = (await store.claimDigest(ch, '2026-W49'))!;
        const d = await store.recordDeliveryIntent(claim.runId);
        expect(d.payload).toBeNull();
        clock.advance(10 * MINUTE);
        const other = (await store.claimDigest(channel('C2'), '2026-W49'))!;
        const d2 = await store.recordDeliveryIntent(other.runId, 'text');
        expect((await store.pendingDeliveries()).map((p) => p.id)).toEqual([d.id, d2.id]);
        expect((await store.pendingDeliveries())[0]).toMatchObject({ channel: ch, periodKey: '2026-W49', status: 'pending' });
        // leave out what another worker may be posting right now
        expect((await store.pendingDeliveries({ intentBefore: new Date(clock.t - 5 * MINUTE) })).map((p) => p.id)).toEqual([d.id]);
        // the period stays claimed: no second digest
        expect(await store.claimDigest(ch, '2026-W49')).toBeNull();
      });

      it('a multi-part digest is delivered when every part is', async () => {
        const { runId } = (await store.claimDigest(ch, '2026-W49'))!;
        const p0 = await store.recordDeliveryIntent(runId, { part: 'a' });
        const p1 = await store.recordDeliveryIntent(runId, { part: 'b' });
        expect([p0.part, p1.part]).toEqual([0, 1]);
        await store.markDelivered(p0.id, 'm0');
        expect((await store.getDigestRun(ch, '2026-W49'))?.status).toBe('delivering');
        expect((await store.pendingDeliveries()).map((p) => p.id)).toEqual([p1.id]);
        await store.markDelivered(p1.id, 'm1');
        expect((await store.getDigestRun(ch, '2026-W49'))?.status).toBe('delivered');
        expect((await store.deliveries(runId)).map((d) => d.messageId)).toEqual(['m0', 'm1']);
      });

      it('a transient failure stays pending, counted, and the schedule stays on', async () => {
        await store.setSchedule(ch);
        const { runId } = (await store.claimDigest(ch, '2026-W49'))!;
        const d = await store.recordDeliveryIntent(runId);
        const failed = await store.markDeliveryFailed(d.id, { permanent: false, reason: 'ratelimited' });
        expect(failed).toMatchObject({ status: 'pending', failures: 1, lastError: 'ratelimited' });
        await store.markDeliveryFailed(d.id, { permanent: false, reason: 'HTTP 503' });
        expect((await store.pendingDeliveries())[0]).toMatchObject({ id: d.id, failures: 2, lastError: 'HTTP 503' });
        expect((await store.getSchedule(ch))?.enabled).toBe(true);
        expect(await store.markDelivered(d.id, 'm')).toMatchObject({ status: 'delivered', failures: 2 });
        expect((await store.getDigestRun(ch, '2026-W49'))?.status).toBe('delivered');
      });

      it('a permanent failure fails the run and disables the schedule with the reason', async () => {
        await store.setSchedule(ch, { nextRunAt: new Date('2026-12-07T09:00:00Z') });
        const { runId } = (await store.claimDigest(ch, '2026-W49'))!;
        const p0 = await store.recordDeliveryIntent(runId);
        const p1 = await store.recordDeliveryIntent(runId);
        clock.advance(MINUTE);
        const failed = await store.markDeliveryFailed(p0.id, { permanent: true, reason: 'channel_not_found' });
        expect(failed).toMatchObject({ status: 'failed', lastError: 'channel_not_found', updatedAt: clock.now() });
        const rest = (await store.deliveries(runId))[1];
        expect(rest).toMatchObject({ id: p1.id, status: 'failed' });
        expect(rest?.lastError).toContain('channel_not_found');
        expect(await store.getDigestRun(ch, '2026-W49')).toMatchObject({ status: 'failed', note: 'channel_not_found' });
        const schedule = await store.getSchedule(ch);
        expect(schedule).toMatchObject({ enabled: false, disabledReason: 'channel_not_found' });
        expect(await store.dueChannels(new Date('2027-01-01T00:00:00Z'))).toEqual([]);
        expect(await store.pendingDeliveries()).toEqual([]);
        await expect(store.recordDeliveryIntent(runId)).rejects.toBeInstanceOf(StoreError);
        // a later failure report of a failed delivery changes nothing
        expect(await store.markDeliveryFailed(p0.id, { permanent: false, reason: 'x' })).toEqual(failed);
      });

      it('stalled runs (claimed, no intent) can be found and skipped', async () => {
        const a = (await store.claimDigest(ch, '2026-W49'))!;
        clock.advance(HOUR);
        const b = (await store.claimDigest(channel('C2'), '2026-W49'))!;
        const c = (await store.claimDigest(channel('C3'), '2026-W49'))!;
        await store.recordDeliveryIntent(c.runId);
        expect((await store.stalledRuns(clock.now())).map((r) => r.id)).toEqual([a.runId]);
        expect((await store.stalledRuns(new Date(clock.t + 1))).map((r) => r.id)).toEqual([a.runId, b.runId]);
        const skipped = await store.skipRun(a.runId, 'no domains watched');
        expect(skipped).toMatchObject({ status: 'skipped', note: 'no domains watched' });
        expect(await store.skipRun(a.runId, 'again')).toMatchObject({ status: 'skipped', note: 'no domains watched' });
        expect((await store.stalledRuns(new Date(clock.t + 1))).map((r) => r.id)).toEqual([b.runId]);
        await expect(store.skipRun(c.runId, 'too late')).rejects.toBeInstanceOf(StoreError);
        await expect(store.recordDeliveryIntent(a.runId)).rejects.toBeInstanceOf(StoreError);
        expect(await store.claimDigest(ch, '2026-W49')).toBeNull();
      });

      it('unknown runs and deliveries are NotFoundError', async () => {
        await expect(store.recordDeliveryIntent('0000000000')).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.markDelivered('0000000000', 'm')).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.markDeliveryFailed('0000000000', { permanent: true, reason: 'x' })).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.skipRun('0000000000', 'x')).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.deliveries('0000000000')).toEqual([]);
      });
    });

    // ─── retention ──────────────────────────────────────────────────────────────────────────

    describe('retention', () => {
      const now = new Date('2026-11-30T12:00:00.000Z');

      it('keeps a year of compact history and only the latest full report per domain', async () => {
        // weekly checks for 60 weeks back
        for (let i = 59; i >= 0; i--) {
          await store.saveReport(makeReport('example.com', new Date(now.getTime() - i * WEEK - HOUR), { score: 100 - i }));
        }
        await store.saveReport(makeReport('old.example', new Date('2025-10-01T00:00:00Z')));
        await store.saveReport(makeReport('fresh.example', new Date('2026-11-01T00:00:00Z')));
        const result = await store.prune(now);
        const yearAgo = new Date('2025-11-30T12:00:00.000Z');
        const kept = await store.history('example.com', new Date(0));
        expect(kept.length).toBeGreaterThan(0);
        expect(kept.every((h) => h.checkedAt >= yearAgo)).toBe(true);
        expect(kept.length).toBe(53); // 53 weekly checks fall within the last 12 months
        expect(result.historyRows).toBe(60 - 53 + 1);
        // full reports: example.com keeps its newest, old.example (older than the retention) goes
        expect(result.reports).toBe(59 + 1);
        expect((await store.latestReport('example.com'))?.score).toBe(100);
        expect(await store.latestReport('old.example')).toBeNull();
        expect(await store.latestReport('fresh.example')).not.toBeNull();
        expect(await store.prune(now)).toEqual({ historyRows: 0, reports: 0, digestRuns: 0 });
      });

      it('prunes finished digest runs older than the retention, never pending ones', async () => {
        clock.set('2025-06-02T09:00:00Z');
        const old = (await store.claimDigest(channel('C1'), '2025-W23'))!;
        await store.markDelivered((await store.recordDeliveryIntent(old.runId)).id, 'm');
        const oldPending = (await store.claimDigest(channel('C2'), '2025-W23'))!;
        const pending = await store.recordDeliveryIntent(oldPending.runId);
        clock.set('2026-11-23T09:00:00Z');
        const recent = (await store.claimDigest(channel('C1'), '2026-W48'))!;
        await store.markDelivered((await store.recordDeliveryIntent(recent.runId)).id, 'm');
        const result = await store.prune(now);
        expect(result.digestRuns).toBe(1);
        expect(await store.getDigestRun(channel('C1'), '2025-W23')).toBeNull();
        expect(await store.getDigestRun(channel('C1'), '2026-W48')).not.toBeNull();
        expect((await store.pendingDeliveries()).map((d) => d.id)).toEqual([pending.id]);
      });
    });

    it('close is idempotent', async () => {
      await store.close();
      await store.close();
    });
  });
}

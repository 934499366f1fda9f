/** The pieces under the scheduler: error classification, backoff, pacing, the manual clock, deliverWithRetry. */
import { describe, expect, it } from 'vitest';
import { ManualClock, realClock } from '../../src/digest/clock.ts';
import {
  ChannelPacer, DEFAULT_RETRY_POLICY, DeliveryError, backoffDelay, deliverWithRetry, discordDeliveryError, isDeliveryError,
  parsePayload, slackDeliveryError, toPayload,
} from '../../src/digest/delivery.ts';
import { buildDigest } from '../../src/digest/model.ts';
import { RecordingPort, SLACK_CHANNEL, harness } from './helpers.ts';

const C1 = SLACK_CHANNEL;
const digest = () => buildDigest({ channel: 'C1', periodKey: '2026-W49', generatedAt: '2026-11-30T08:00:00.000Z', domains: [] });

describe('DeliveryError classification', () => {
  it('Slack: gone channels, removed bots and revoked tokens are permanent; rate limits are not', () => {
    for (const code of ['channel_not_found', 'not_in_channel', 'is_archived', 'account_inactive', 'token_revoked', 'invalid_auth']) {
      expect(slackDeliveryError(code)).toMatchObject({ permanent: true, reason: `Slack: ${code}` });
    }
    expect(slackDeliveryError('ratelimited', { retryAfterSec: 30 })).toMatchObject({ permanent: false, retryAfterMs: 30_000 });
    expect(slackDeliveryError('internal_error')).toMatchObject({ permanent: false });
  });

  it('Discord: 50001, 50013, 10003 and 401/403/404 are permanent; 429 carries retry_after; 5xx is transient', () => {
    expect(discordDeliveryError({ status: 403, code: 50001, message: 'Missing Access' })).toMatchObject({ permanent: true, reason: 'Discord: Missing Access (50001)' });
    expect(discordDeliveryError({ status: 403, code: 50013 })).toMatchObject({ permanent: true });
    expect(discordDeliveryError({ status: 404, code: 10003 })).toMatchObject({ permanent: true });
    expect(discordDeliveryError({ status: 401 })).toMatchObject({ permanent: true });
    expect(discordDeliveryError({ status: 429, retryAfterSec: 1.5 })).toMatchObject({ permanent: false, retryAfterMs: 1_500 });
    expect(discordDeliveryError({ status: 502 })).toMatchObject({ permanent: false });
  });

  it('is recognised by shape as well as by class', () => {
    expect(isDeliveryError(new DeliveryError({ permanent: false, reason: 'x' }))).toBe(true);
    expect(isDeliveryError({ name: 'DeliveryError', permanent: true, reason: 'gone' })).toBe(true);
    expect(isDeliveryError(new Error('DeliveryError'))).toBe(false);
  });
});

describe('backoff', () => {
  it('doubles from the base, is capped, and never undercuts Retry-After', () => {
    const p = DEFAULT_RETRY_POLICY;
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(p, n))).toEqual([2_000, 4_000, 8_000, 16_000, 32_000]);
    expect(backoffDelay(p, 30)).toBe(p.maxDelayMs);
    expect(backoffDelay(p, 1, 7_000)).toBe(7_000);
    expect(backoffDelay(p, 3, 1_000)).toBe(8_000);
  });
});

describe('deliverWithRetry', () => {
  async function intent() {
    const h = await harness();
    await h.store.watch(C1, 'a.example');
    const claim = (await h.store.claimDigest(C1, '2026-W49'))!;
    const d = await h.store.recordDeliveryIntent(claim.runId, toPayload('digest', digest()));
    return { h, d, runId: claim.runId };
  }

  it('records the message id when posted', async () => {
    const { h, d } = await intent();
    const port = new RecordingPort(h.chat);
    const out = await deliverWithRetry({ store: h.store, port, clock: h.clock, delivery: d, kind: 'digest', digest: digest() });
    expect(out).toEqual({ status: 'delivered', messageId: 'M1', attempts: 1, reconciled: false });
    expect(port.attempts[0]?.idempotencyKey).toBe(d.id);
    expect((await h.store.deliveries(d.runId))[0]).toMatchObject({ status: 'delivered', messageId: 'M1' });
  });

  it('stops at maxAttempts and hands back a retry time', async () => {
    const { h, d } = await intent();
    const e = () => new DeliveryError({ permanent: false, reason: 'busy' });
    const port = new RecordingPort(h.chat).then(e(), e());
    const start = h.clock.now().getTime();
    const out = await deliverWithRetry({ store: h.store, port, clock: h.clock, delivery: d, kind: 'digest', digest: digest(), policy: { maxAttempts: 2 } });
    expect(out).toMatchObject({ status: 'retry', attempts: 2, reason: 'busy' });
    expect(h.clock.sleeps).toEqual([2_000]);
    expect(out.status === 'retry' && out.retryAt.getTime() - start).toBe(2_000 + 4_000);
    expect((await h.store.deliveries(d.runId))[0]).toMatchObject({ status: 'pending', failures: 2, lastError: 'busy' });
  });

  it('continues the backoff from the failures already recorded', async () => {
    const { h, d } = await intent();
    const port = new RecordingPort(h.chat).then(new DeliveryError({ permanent: false, reason: 'busy' }));
    const out = await deliverWithRetry({
      store: h.store, port, clock: h.clock, delivery: { ...d, failures: 5 }, kind: 'digest', digest: digest(), policy: { maxWaitMs: 10 * 60_000 },
    });
    expect(out.status).toBe('delivered');
    expect(h.clock.sleeps).toEqual([64_000]); // the 6th failure
  });

  it('an unknown outcome without findDelivered is not retried', async () => {
    const { h, d } = await intent();
    const port = new RecordingPort(h.chat).then('post-and-throw');
    const out = await deliverWithRetry({ store: h.store, port, clock: h.clock, delivery: d, kind: 'digest', digest: digest() });
    expect(out).toMatchObject({ status: 'unknown', attempts: 1 });
    expect(out.status === 'unknown' && out.reason).toMatch(/socket hang up/);
    expect((await h.store.deliveries(d.runId))[0]).toMatchObject({ status: 'pending', failures: 0 });
  });
});

describe('ChannelPacer', () => {
  it('keeps posts to one channel at least the interval apart, other channels unaffected', async () => {
    const clock = new ManualClock();
    const pacer = new ChannelPacer(clock, 1_100);
    const other = { ...C1, channelId: 'C2' };
    const times: [string, number][] = [];
    const t0 = clock.now().getTime();
    for (const ch of [C1, C1, other, C1]) {
      await pacer.wait(ch);
      times.push([ch.channelId, clock.now().getTime() - t0]);
    }
    expect(times).toEqual([['C1', 0], ['C1', 1_100], ['C2', 1_100], ['C1', 2_200]]);
  });
});

describe('clocks', () => {
  it('a manual clock in manual mode wakes sleepers only when moved past their deadline', async () => {
    const clock = new ManualClock('2026-11-30T00:00:00.000Z', { autoAdvance: false });
    const woke: number[] = [];
    void clock.sleep(1_000).then(() => woke.push(1_000));
    void clock.sleep(500).then(() => woke.push(500));
    clock.advance(499);
    await Promise.resolve();
    expect(woke).toEqual([]);
    clock.advance(600);
    await new Promise((r) => setImmediate(r));
    expect(woke).toEqual([500, 1_000]);
    expect(clock.sleeps).toEqual([1_000, 500]);
  });

  it('sleeps end early, with the reason, when their signal aborts', async () => {
    const clock = new ManualClock('2026-11-30T00:00:00.000Z', { autoAdvance: false });
    const ac = new AbortController();
    const slept = clock.sleep(60_000, ac.signal);
    ac.abort(new Error('stopping'));
    await expect(slept).rejects.toThrow('stopping');
    expect(clock.waiting).toBe(0);
    const real = new AbortController();
    real.abort(new Error('already'));
    await expect(realClock.sleep(10, real.signal)).rejects.toThrow('already');
  });
});

describe('payloads', () => {
  it('round-trip through JSON, and foreign payloads are refused', () => {
    const p = toPayload('alert', digest());
    expect(parsePayload(JSON.parse(JSON.stringify(p)))).toEqual(p);
    expect(parsePayload(null)).toBeNull();
    expect(parsePayload({ v: 2, kind: 'digest', digest: digest() })).toBeNull();
    expect(parsePayload({ v: 1, kind: 'digest', digest: { kind: 'card' } })).toBeNull();
  });
});

/**
 * The Discord DeliveryPort over REST against the fake: posts, nonce, 429 honoured, 50001/50013
 * permanent with a reason (and the channel told on 50013), per-channel pacing on the clock,
 * reconciliation by the footer reference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REST } from 'discord.js';
import { startFakeDiscord, type FakeDiscord } from '../world/discord-fake.ts';
import { createDiscordDelivery, restRateLimitPolicy } from '../../adapters/discord/delivery.ts';
import { DeliveryError, isDeliveryError } from '../../src/digest/delivery.ts';
import { ManualClock } from '../../src/digest/clock.ts';
import { buildDigest } from '../../src/digest/model.ts';
import { makeReport } from '../store/fixtures.ts';
import { validateMessage } from '../../adapters/discord/render/limits.ts';
import type { ChannelRef } from '../../src/store/types.ts';

let fake: FakeDiscord;
let rest: REST;

beforeAll(async () => {
  fake = await startFakeDiscord();
  rest = new REST({ api: fake.apiUrl, rejectOnRateLimit: restRateLimitPolicy(5_000) }).setToken(fake.token);
});
afterAll(async () => {
  await fake?.close();
});

const ch = (id: string): ChannelRef => ({ platform: 'discord', workspaceId: '1300000000000000001', channelId: id });
const digest = buildDigest({
  channel: 'x', periodKey: '2026-W49', generatedAt: '2026-11-30T08:00:00Z',
  domains: [{ domain: 'acme.test', current: makeReport('acme.test', '2026-11-30T08:00:00Z', { grade: 'B', score: 85, codes: ['dmarc.policy_none'] }), previous: null, history: [] }],
});
const posts = (id: string) => fake.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${id}/messages`);

describe('discord delivery', () => {
  it('posts the digest with the idempotency key as nonce (enforce_nonce), within the limits', async () => {
    const port = createDiscordDelivery({ rest, intervalMs: 0 });
    const { messageId } = await port.deliver(ch('1400000000000000101'), digest, { idempotencyKey: 'abc123', kind: 'digest' });
    expect(messageId).toMatch(/^\d+$/);
    const [post] = posts('1400000000000000101');
    expect(post!.body.nonce).toBe('abc123');
    expect(post!.body.enforce_nonce).toBe(true);
    expect(post!.body.embeds[0].fields[0].name).toMatch(/acme\.test: grade B/);
    expect(validateMessage(post!.body)).toEqual([]);
    // the same key again: Discord (and the fake) return the message already posted
    const again = await port.deliver(ch('1400000000000000101'), digest, { idempotencyKey: 'abc123', kind: 'digest' });
    expect(again.messageId).toBe(messageId);
    expect(await port.findDelivered!(ch('1400000000000000101'), 'abc123')).toBe(messageId);
    expect(await port.findDelivered!(ch('1400000000000000101'), 'other')).toBeNull();
  });

  it('honours a 429 (waits Retry-After, then posts once)', async () => {
    const id = '1400000000000000102';
    fake.failChannel(id, { status: 429, retryAfter: 0.05, times: 1 });
    const port = createDiscordDelivery({ rest, intervalMs: 0 });
    const { messageId } = await port.deliver(ch(id), digest, { idempotencyKey: 'k429', kind: 'digest' });
    expect(messageId).toMatch(/^\d+$/);
    expect(posts(id).map((c) => c.status)).toEqual([429, 200]);
  });

  it('a 429 longer than the allowed wait is a transient DeliveryError with retryAfterMs', async () => {
    const id = '1400000000000000103';
    fake.failChannel(id, { status: 429, retryAfter: 120, times: 1 });
    const port = createDiscordDelivery({ rest, intervalMs: 0 });
    const err = await port.deliver(ch(id), digest, { idempotencyKey: 'klong', kind: 'digest' }).catch((e: unknown) => e);
    expect(isDeliveryError(err)).toBe(true);
    expect((err as DeliveryError).permanent).toBe(false);
    expect((err as DeliveryError).retryAfterMs).toBeGreaterThanOrEqual(100_000);
  });

  it('50013 Missing Permissions is permanent, names the permissions, and tells the channel in plain text when it can', async () => {
    const id = '1400000000000000104';
    fake.failChannel(id, { status: 403, code: 50013, times: 1 });
    const port = createDiscordDelivery({ rest, intervalMs: 0 });
    const err = await port.deliver(ch(id), digest, { idempotencyKey: 'k50013', kind: 'digest' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as DeliveryError).permanent).toBe(true);
    expect((err as DeliveryError).reason).toMatch(/Missing Permissions \(50013\).*Embed Links/);
    const notice = posts(id).at(-1)!;
    expect(notice.status).toBe(200);
    expect(notice.body.embeds).toBeUndefined();
    expect(notice.body.content).toMatch(/could not post the weekly Posture digest here/);
  });

  it('50001 Missing Access is permanent', async () => {
    const id = '1400000000000000105';
    fake.failChannel(id, { status: 403, code: 50001 });
    const port = createDiscordDelivery({ rest, intervalMs: 0 });
    const err = await port.deliver(ch(id), digest, { idempotencyKey: 'k50001', kind: 'digest' }).catch((e: unknown) => e);
    expect((err as DeliveryError).permanent).toBe(true);
    expect((err as DeliveryError).reason).toMatch(/Missing Access \(50001\)/);
    expect(posts(id)).toHaveLength(1); // no notice attempt: the bot cannot see the channel
  });

  it('paces posts to the same channel on the clock, not to different channels', async () => {
    const clock = new ManualClock();
    const port = createDiscordDelivery({ rest, clock, intervalMs: 1100 });
    await port.deliver(ch('1400000000000000106'), digest, { idempotencyKey: 'p1', kind: 'digest' });
    await port.deliver(ch('1400000000000000107'), digest, { idempotencyKey: 'p2', kind: 'digest' });
    expect(clock.sleeps).toEqual([]);
    await port.deliver(ch('1400000000000000106'), digest, { idempotencyKey: 'p3', kind: 'digest' });
    expect(clock.sleeps).toEqual([1100]);
  });
});

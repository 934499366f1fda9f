/** The Slack DeliveryPort against the fake Web API: pacing, 429, not_in_channel, permanent errors. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/digest/clock.ts';
import { isDeliveryError, type DeliveryError } from '../../src/digest/delivery.ts';
import { buildDigest, type Digest } from '../../src/digest/model.ts';
import { openStore } from '../../src/store/index.ts';
import type { ChannelRef, Store } from '../../src/store/types.ts';
import { createSlackDelivery } from '../../adapters/slack/delivery.ts';
import { validateBlocks, type Block } from '../../adapters/slack/render/blocks.ts';
import { startFakeSlack, type FakeSlack } from '../world/slack-fake.ts';
import { tempDb } from './harness.ts';

let fake: FakeSlack;
let store: Store;
let clock: ManualClock;
const TOKEN = 'xoxb-delivery';

const digest: Digest = buildDigest({
  channel: 'C', periodKey: '2026-W48', generatedAt: '2026-11-30T08:00:00.000Z',
  domains: [{
    domain: 'acme.test', previous: null, history: [],
    current: {
      schema: 'posture.report/v1', domain: 'acme.test', input: 'acme.test', checkedAt: '2026-11-30T08:00:00.000Z', durationMs: 1,
      grade: 'A', score: 95, checks: [], plan: [],
    },
  }],
});

const ch = (id: string, workspaceId = 'T0POSTURE'): ChannelRef => ({ platform: 'slack', workspaceId, channelId: id });

function port(tokens: Record<string, string | null> = { T0POSTURE: TOKEN }) {
  return createSlackDelivery({ store, tokenFor: async (w) => tokens[w] ?? null, apiUrl: fake.apiUrl, clock, maxInlineWaitMs: 5000 });
}

async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (err) {
    if (isDeliveryError(err)) return err;
    throw err;
  }
  throw new Error('expected a DeliveryError');
}

beforeAll(async () => {
  fake = await startFakeSlack();
  store = await openStore(`sqlite:${tempDb()}`);
});
afterAll(async () => {
  await store?.close();
  await fake?.close();
});
beforeEach(() => {
  clock = new ManualClock('2026-11-30T08:00:00.000Z');
});

describe('Slack delivery port', () => {
  it('posts Block Kit with chat.postMessage, the key in metadata, and returns the ts', async () => {
    const r = await port().deliver(ch('C0A'), digest, { idempotencyKey: 'abc123', kind: 'digest' });
    const call = fake.callsTo('chat.postMessage').at(-1)!;
    expect(r.messageId).toMatch(/^\d+\.\d+$/);
    expect(call.token).toBe(TOKEN);
    expect(call.args['channel']).toBe('C0A');
    expect(String(call.args['text'])).toContain('acme.test: grade A');
    expect(validateBlocks(call.args['blocks'] as Block[])).toEqual([]);
    expect(call.args['metadata']).toMatchObject({ event_type: 'posture_digest', event_payload: { key: 'abc123' } });
  });

  it('paces posts to one channel at one a second, other channels not', async () => {
    const p = port();
    await p.deliver(ch('C0PACE'), digest, { idempotencyKey: 'k1', kind: 'digest' });
    await p.deliver(ch('C0PACE'), digest, { idempotencyKey: 'k2', kind: 'digest' });
    await p.deliver(ch('C0OTHER'), digest, { idempotencyKey: 'k3', kind: 'digest' });
    expect(clock.sleeps).toEqual([1000]);
  });

  it('waits out a short 429 Retry-After, then posts', async () => {
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 3 });
    const before = fake.callsTo('chat.postMessage').length;
    await port().deliver(ch('C0RATE'), digest, { idempotencyKey: 'k', kind: 'digest' });
    expect(clock.sleeps).toContain(3000);
    expect(fake.callsTo('chat.postMessage').length - before).toBe(2);
  });

  it('hands a long Retry-After to the runner as a transient error', async () => {
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 120 });
    const e = await failure(port().deliver(ch('C0RATE2'), digest, { idempotencyKey: 'k', kind: 'digest' }));
    expect(e.permanent).toBe(false);
    expect(e.retryAfterMs).toBe(120_000);
  });

  it('joins a public channel on not_in_channel and posts', async () => {
    fake.setChannel('C0PUBLIC', { member: false });
    await port().deliver(ch('C0PUBLIC'), digest, { idempotencyKey: 'k', kind: 'digest' });
    expect(fake.callsTo('conversations.join').map((c) => c.args['channel'])).toContain('C0PUBLIC');
    expect(fake.callsTo('chat.postMessage').at(-1)!.args['channel']).toBe('C0PUBLIC');
  });

  it('cannot join a private channel: tells whoever set it up, fails permanently', async () => {
    const channel = ch('C0PRIVATE');
    await store.watch(channel, 'acme.test', { addedBy: 'U0BOB' });
    fake.failNext('chat.postMessage', { error: 'not_in_channel' });
    fake.setChannel('C0PRIVATE', { isPrivate: true, member: true });
    const e = await failure(port().deliver(channel, digest, { idempotencyKey: 'k', kind: 'digest' }));
    expect(e.permanent).toBe(true);
    expect(e.reason).toContain('not_in_channel');
    const dm = fake.callsTo('chat.postMessage').at(-1)!;
    expect(dm.args['channel']).toBe('U0BOB');
    expect(String(dm.args['text'])).toContain('/invite @Posture');
  });

  for (const error of ['channel_not_found', 'account_inactive', 'invalid_auth', 'is_archived']) {
    it(`${error} is permanent`, async () => {
      fake.failNext('chat.postMessage', { error });
      const e = await failure(port().deliver(ch('C0GONE'), digest, { idempotencyKey: 'k', kind: 'digest' }));
      expect(e.permanent).toBe(true);
      expect(e.reason).toContain(error);
    });
  }

  it('a 5xx is transient', async () => {
    fake.failNext('chat.postMessage', { status: 503 });
    const e = await failure(port().deliver(ch('C0FLAKY'), digest, { idempotencyKey: 'k', kind: 'digest' }));
    expect(e.permanent).toBe(false);
  });

  it('a workspace without a token (uninstalled) is permanent, and nothing is called', async () => {
    const before = fake.calls.length;
    const e = await failure(port({}).deliver(ch('C0X', 'T0GONE'), digest, { idempotencyKey: 'k', kind: 'digest' }));
    expect(e.permanent).toBe(true);
    expect(fake.calls.length).toBe(before);
  });
});

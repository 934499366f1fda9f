/**
 * The real Bolt app end to end on the fixture world: signed requests to the HTTP receiver, the
 * Web API and response_url answered by the fake Slack, the store on an SQLite file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DOMAINS } from '../world/demo.ts';
import type { World } from '../world/index.ts';
import {
  blockActionPayload, sendEvent, sendInteraction, sendSlashCommand, type FakeSlack,
} from '../world/slack-fake.ts';
import { validateBlocks, type Block } from '../../adapters/slack/render/blocks.ts';
import {
  BOT_TOKEN, SECRET, demoWorldOptions, gate, startApp, startFakeSlack, startWorld, tempDb, worldCheck, type CheckFn, type Gate, type Running,
} from './harness.ts';

let world: World;
let fake: FakeSlack;
let app: Running;
let dbPath: string;
let slow: Gate | null = null;
let check: CheckFn;

beforeAll(async () => {
  world = await startWorld(demoWorldOptions());
  fake = await startFakeSlack();
  dbPath = tempDb();
  const real = worldCheck(world);
  check = async (d) => {
    if (slow) await slow.wait();
    return real(d);
  };
  app = await startApp({ fake, dbPath, check, placeholderAfterMs: 0 });
});

afterAll(async () => {
  await app?.stop();
  await fake?.close();
  await world?.stop();
});

function blocksOf(body: Record<string, unknown>): Block[] {
  return (body['blocks'] ?? []) as Block[];
}

describe('startup', () => {
  it('calls auth.test with the bot token and logs mode and workspace, never a secret', () => {
    const auth = fake.callsTo('auth.test');
    expect(auth.length).toBeGreaterThan(0);
    expect(auth.every((c) => c.token === BOT_TOKEN)).toBe(true);
    const line = app.logs.find((l) => l.includes('HTTP mode'));
    expect(line).toMatch(/workspace "Posture Test" \(T0POSTURE\)/);
    const all = app.logs.join('\n');
    expect(all).not.toContain(BOT_TOKEN);
    expect(all).not.toContain(SECRET);
  });

  it('records the workspace installation without the token', async () => {
    const inst = await app.store.getInstallation({ platform: 'slack', workspaceId: 'T0POSTURE' });
    expect(inst?.workspaceName).toBe('Posture Test');
    expect(JSON.stringify(inst?.secrets)).not.toContain('xoxb');
  });
});

describe('/posture <domain>', () => {
  it('acks before the (slow) check finishes, shows "Checking…", then replaces it with the card in_channel', async () => {
    slow = gate();
    const url = fake.responseUrl('slow-card');
    const ack = await sendSlashCommand(app.endpoint, SECRET, { text: 'acme.test', response_url: url });
    // the ack arrived while the check is still held at the gate
    expect(ack.status).toBe(200);
    expect(slow.closed).toBe(true);
    expect(fake.responsesTo('slow-card').filter((r) => r.body['blocks'] && String(r.body['text']).includes('grade'))).toHaveLength(0);
    const placeholder = await fake.waitFor(() => fake.responsesTo('slow-card')[0]);
    expect(placeholder.body['text']).toBe('Checking acme.test…');
    expect(placeholder.body['response_type']).toBe('in_channel');
    slow.open();
    slow = null;
    const card = await fake.waitFor(() => fake.responsesTo('slow-card')[1]);
    expect(card.body['response_type']).toBe('in_channel');
    expect(card.body['replace_original']).toBe(true);
    expect(card.body['text']).toMatch(/^acme\.test: grade [A-F] \(\d+\/100\)/);
    const blocks = blocksOf(card.body);
    expect(validateBlocks(blocks)).toEqual([]);
    expect(blocks[0]).toMatchObject({ type: 'header' });
    const actions = blocks.find((b) => b.type === 'actions');
    expect(actions && actions.type === 'actions' ? actions.elements.map((e) => e.text.text) : []).toEqual(
      expect.arrayContaining(['Re-check', 'Watch this domain', 'Show fix plan']),
    );
  });

  it('sends a fast card without a placeholder and names the grade for a broken domain', async () => {
    // warm: the placeholder threshold is 0, so any check shows it; compare through a domain's response count
    const url = fake.responseUrl('broken');
    const ack = await sendSlashCommand(app.endpoint, SECRET, { text: 'check Broken.TEST.', response_url: url });
    expect(ack.status).toBe(200);
    const card = await fake.waitFor(() => fake.responsesTo('broken').find((r) => String(r.body['text']).includes('grade')));
    expect(card.body['text']).toMatch(/^broken\.test: grade F/);
    const text = JSON.stringify(card.body['blocks']);
    expect(text).toContain(':x:');
    expect(text).toContain('Fix:');
    expect(validateBlocks(blocksOf(card.body))).toEqual([]);
  });

  it('answers usage errors ephemerally with what to type instead, without checking', async () => {
    const url = fake.responseUrl('usage');
    const before = fake.calls.length;
    await sendSlashCommand(app.endpoint, SECRET, { text: 'check', response_url: url });
    const r = await fake.waitFor(() => fake.responsesTo('usage')[0]);
    expect(r.body['response_type']).toBe('ephemeral');
    expect(r.body['text']).toContain('Try: /posture check example.com');
    expect(fake.calls.length).toBe(before); // no Web API call
  });

  it('answers an invalid domain ephemerally', async () => {
    const url = fake.responseUrl('invalid');
    await sendSlashCommand(app.endpoint, SECRET, { text: 'https://acme.test/page', response_url: url });
    const r = await fake.waitFor(() => fake.responsesTo('invalid')[0]);
    expect(r.body['response_type']).toBe('ephemeral');
    expect(String(r.body['text'])).toMatch(/Try/);
  });

  it('help is ephemeral', async () => {
    const url = fake.responseUrl('help');
    await sendSlashCommand(app.endpoint, SECRET, { text: 'help', response_url: url });
    const r = await fake.waitFor(() => fake.responsesTo('help')[0]);
    expect(r.body['response_type']).toBe('ephemeral');
    expect(validateBlocks(blocksOf(r.body))).toEqual([]);
  });
});

describe('explain', () => {
  it('/posture explain mta-sts posts the explanation in the channel', async () => {
    const url = fake.responseUrl('explain');
    await sendSlashCommand(app.endpoint, SECRET, { text: 'explain MTA-STS', response_url: url });
    const r = await fake.waitFor(() => fake.responsesTo('explain')[0]);
    expect(r.body['response_type']).toBe('in_channel');
    expect(String(r.body['text'])).toMatch(/MTA-STS/);
    expect(validateBlocks(blocksOf(r.body))).toEqual([]);
  });

  it('explain … for DOMAIN names the grade and its findings', async () => {
    const url = fake.responseUrl('explain-for');
    await sendSlashCommand(app.endpoint, SECRET, { text: 'explain mta-sts for legacy.test', response_url: url });
    const r = await fake.waitFor(() => fake.responsesTo('explain-for').find((x) => x.body['text'] !== 'Checking legacy.test…'));
    expect(String(r.body['text'])).toMatch(/legacy\.test: grade [A-F]/);
    expect(validateBlocks(blocksOf(r.body))).toEqual([]);
  });

  it('an unknown topic is an ephemeral error with suggestions', async () => {
    const url = fake.responseUrl('explain-unknown');
    await sendSlashCommand(app.endpoint, SECRET, { text: 'explain dmrac', response_url: url });
    const r = await fake.waitFor(() => fake.responsesTo('explain-unknown')[0]);
    expect(r.body['response_type']).toBe('ephemeral');
    expect(String(r.body['text'])).toContain('/posture explain');
  });
});

describe('card buttons', () => {
  it('Re-check posts a fresh card; Explain and Show fix plan answer ephemerally; Watch adds the domain', async () => {
    const recheck = fake.responseUrl('btn-recheck');
    await sendInteraction(app.endpoint, SECRET, blockActionPayload('posture:recheck:legacy.test', { responseUrl: recheck, channel: 'C0BUTTONS' }));
    const card = await fake.waitFor(() => fake.responsesTo('btn-recheck')[0]);
    expect(card.body['response_type']).toBe('in_channel');
    expect(card.body['replace_original']).toBe(false);
    expect(String(card.body['text'])).toMatch(/^legacy\.test: grade/);

    const explain = fake.responseUrl('btn-explain');
    await sendInteraction(app.endpoint, SECRET, blockActionPayload('posture:explain:legacy.test:dmarc.policy_none', { responseUrl: explain, channel: 'C0BUTTONS' }));
    const ex = await fake.waitFor(() => fake.responsesTo('btn-explain')[0]);
    expect(ex.body['response_type']).toBe('ephemeral');
    expect(String(ex.body['text'])).toContain('dmarc.policy_none');

    const plan = fake.responseUrl('btn-plan');
    await sendInteraction(app.endpoint, SECRET, blockActionPayload('posture:plan:legacy.test', { responseUrl: plan, channel: 'C0BUTTONS' }));
    const pl = await fake.waitFor(() => fake.responsesTo('btn-plan')[0]);
    expect(pl.body['response_type']).toBe('ephemeral');
    expect(String(pl.body['text'])).toMatch(/Fix plan for legacy\.test: grade [A-F] → grade [A-F]/);
    expect(validateBlocks(blocksOf(pl.body))).toEqual([]);

    const watch = fake.responseUrl('btn-watch');
    await sendInteraction(app.endpoint, SECRET, blockActionPayload('posture:watch:legacy.test', { responseUrl: watch, channel: 'C0BUTTONS' }));
    const w = await fake.waitFor(() => fake.responsesTo('btn-watch')[0]);
    expect(String(w.body['text'])).toContain('now watches legacy.test');
    const list = await app.store.watchList({ platform: 'slack', workspaceId: 'T0POSTURE', channelId: 'C0BUTTONS' });
    expect(list.map((e) => e.domain)).toEqual(['legacy.test']);
  });
});

describe('watch → digest now → restart', () => {
  it('watches, posts the digest with chat.postMessage, and keeps the watch list across a restart', async () => {
    const channel = 'C0DIGEST';
    const w = fake.responseUrl('watch');
    await sendSlashCommand(app.endpoint, SECRET, { text: 'watch acme.test broken.test', response_url: w, channel_id: channel });
    const watched = await fake.waitFor(() => fake.responsesTo('watch')[0]);
    expect(watched.body['response_type']).toBe('in_channel');
    expect(String(watched.body['text'])).toContain('now watches acme.test and broken.test');

    const posts = fake.callsTo('chat.postMessage').length;
    const d = fake.responseUrl('digest-now');
    await sendSlashCommand(app.endpoint, SECRET, { text: 'digest now', response_url: d, channel_id: channel });
    const done = await fake.waitFor(() => fake.responsesTo('digest-now')[0]);
    expect(done.body['text']).toContain('Digest for 2 domains posted');
    const post = fake.callsTo('chat.postMessage').slice(posts).find((c) => c.args['channel'] === channel);
    expect(post).toBeDefined();
    expect(post!.token).toBe(BOT_TOKEN);
    expect(String(post!.args['text'])).toMatch(/acme\.test: grade [A-F]/);
    expect(String(post!.args['text'])).toMatch(/broken\.test: grade F/);
    expect(validateBlocks(post!.args['blocks'] as Block[])).toEqual([]);

    // restart: a new Bolt app on the same SQLite file
    await app.stop();
    app = await startApp({ fake, dbPath, check, placeholderAfterMs: 0 });
    const l = fake.responseUrl('watching');
    await sendSlashCommand(app.endpoint, SECRET, { text: 'watching', response_url: l, channel_id: channel });
    const r = await fake.waitFor(() => fake.responsesTo('watching')[0]);
    expect(r.body['response_type']).toBe('ephemeral');
    expect(String(r.body['text'])).toMatch(/acme\.test grade [A-F], broken\.test grade F/);
  });
});

describe('mentions, DMs and App Home', () => {
  it('answers "@Posture explain MTA-STS" in the thread', async () => {
    const before = fake.callsTo('chat.postMessage').length;
    const res = await sendEvent(app.endpoint, SECRET, {
      type: 'app_mention', user: 'U0ALICE', text: `<@${fake.botUserId}> explain MTA-STS`, ts: '1700000100.000100', channel: 'C0GENERAL',
    });
    expect(res.status).toBe(200);
    const post = await fake.waitFor(() => fake.callsTo('chat.postMessage')[before]);
    expect(post.args['channel']).toBe('C0GENERAL');
    expect(post.args['thread_ts']).toBe('1700000100.000100');
    expect(String(post.args['text'])).toMatch(/MTA-STS/);
  });

  it('answers a DM with a card', async () => {
    const before = fake.callsTo('chat.postMessage').length;
    await sendEvent(app.endpoint, SECRET, {
      type: 'message', channel_type: 'im', user: 'U0ALICE', text: 'parked.test', ts: '1700000200.000100', channel: 'D0ALICE',
    });
    const post = await fake.waitFor(() => fake.callsTo('chat.postMessage').slice(before).find((c) => c.args['channel'] === 'D0ALICE' && String(c.args['text']).includes('grade')) ?? fake.callsTo('chat.update').find((c) => c.args['channel'] === 'D0ALICE'));
    expect(String(post.args['text'])).toMatch(/parked\.test: grade [A-F]/);
  });

  it('publishes the Home tab with the workspace\'s watched domains and grades', async () => {
    await sendEvent(app.endpoint, SECRET, { type: 'app_home_opened', user: 'U0ALICE', channel: 'D0ALICE', tab: 'home' });
    const pub = await fake.waitFor(() => fake.callsTo('views.publish')[0]);
    expect(pub.args['user_id']).toBe('U0ALICE');
    const view = pub.args['view'] as { type: string; blocks: Block[] };
    expect(view.type).toBe('home');
    expect(validateBlocks(view.blocks, { maxBlocks: 100 })).toEqual([]);
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('acme.test');
    expect(text).toContain('<#C0DIGEST>');
    expect(text).toMatch(/broken\.test\* — grade F/);
  });
});

describe('request signatures', () => {
  for (const [name, opts] of [
    ['unsigned', { signature: null }],
    ['badly signed', { secret: 'not-the-secret' }],
    ['stale (10 minutes old)', { timestamp: Math.floor(Date.now() / 1000) - 600 }],
    ['garbage signature', { signature: 'v0=deadbeef' }],
  ] as const) {
    it(`${name} requests get 401 and do nothing`, async () => {
      const calls = fake.calls.length;
      const bot = app.botCalls;
      const url = fake.responseUrl(`sig-${name}`);
      const r = await sendSlashCommand(app.endpoint, SECRET, { text: 'acme.test', response_url: url }, opts);
      expect(r.status).toBe(401);
      const e = await sendEvent(app.endpoint, SECRET, { type: 'app_home_opened', user: 'U0ALICE', tab: 'home' }, opts);
      expect(e.status).toBe(401);
      // a correctly signed request afterwards proves the app is alive and flushes ordering
      const ok = fake.responseUrl(`sig-ok-${name}`);
      await sendSlashCommand(app.endpoint, SECRET, { text: 'help', response_url: ok });
      await fake.waitFor(() => fake.responsesTo(`sig-ok-${name}`)[0]);
      expect(fake.responsesTo(`sig-${name}`)).toHaveLength(0);
      expect(fake.calls.length).toBe(calls);
      expect(app.botCalls).toBe(bot + 1); // only the signed help
    });
  }
});

describe('uninstall', () => {
  it('app_uninstalled revokes the installation in the store', async () => {
    const res = await sendEvent(app.endpoint, SECRET, { type: 'app_uninstalled' });
    expect(res.status).toBe(200);
    await fake.waitFor(() => app.logs.some((l) => l.includes('app_uninstalled')));
    const inst = await app.store.getInstallation({ platform: 'slack', workspaceId: 'T0POSTURE' }, { includeRevoked: true });
    expect(inst?.revokedAt).toBeInstanceOf(Date);
    expect(inst?.secrets).toBeNull();
  });
});

it('every demo domain is in DEMO_DOMAINS (fixture sanity)', () => {
  expect(DEMO_DOMAINS).toContain('acme.test');
});

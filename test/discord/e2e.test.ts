/**
 * End to end through the real discord.js client and the fake Discord on the fixture world.
 * No timed assertions: ordering is asserted on the fake's recorded calls.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GatewayIntentBits } from 'discord.js';
import { startHarness, type Harness } from './harness.ts';
import { PERMS, DEFAULT_MEMBER_PERMS, type FakeCall, type FakeInteraction } from '../world/discord-fake.ts';
import { validateMessage } from '../../adapters/discord/render/limits.ts';

let h: Harness;
const GUILD = '1300000000000000001';
const CHANNEL = '1400000000000000001';
const MANAGER = { permissions: DEFAULT_MEMBER_PERMS | PERMS.ManageGuild };

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const isCallback = (i: FakeInteraction) => (c: FakeCall) => c.path === `/interactions/${i.id}/${i.token}/callback`;
const isEdit = (i: FakeInteraction) => (c: FakeCall) => c.method === 'PATCH' && c.path.endsWith(`/${i.token}/messages/@original`);
const isFollowUp = (i: FakeInteraction) => (c: FakeCall) => c.method === 'POST' && c.path.endsWith(`/webhooks/${h.fake.applicationId}/${i.token}`);
const channelPosts = (channelId: string) => h.fake.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${channelId}/messages`);

/** The final answer of a deferred interaction: the edit, or the ephemeral follow-up. */
async function answer(i: FakeInteraction): Promise<FakeCall> {
  return Promise.race([h.fake.waitForCall(isEdit(i)), h.fake.waitForCall(isFollowUp(i))]);
}

describe('discord: gateway login', () => {
  it('logs in through GET /gateway/bot, IDENTIFY with unprivileged intents, READY', async () => {
    expect(h.fake.calls.some((c) => c.method === 'GET' && c.path === '/gateway/bot')).toBe(true);
    expect(h.discord.client.isReady()).toBe(true);
    const intents = h.fake.identifies.at(-1).intents as number;
    const privileged = GatewayIntentBits.MessageContent | GatewayIntentBits.GuildMembers | GatewayIntentBits.GuildPresences;
    expect(intents & privileged).toBe(0);
    expect(intents & GatewayIntentBits.GuildMessages).toBeTruthy();
    expect(h.discord.client.user?.id).toBe(h.fake.botUser.id);
  });
});

describe('discord: /posture check', () => {
  it('defers at once, then edits in a card whose first embed names the domain and grade X', async () => {
    const gate = h.gate('acme.test');
    const i = h.fake.chatInput('check', { domain: 'ACME.test' });
    const cb = await h.fake.waitForCall(isCallback(i));
    await gate.reached;
    // the deferral reached Discord while the check was still held at the gate
    expect(cb.body.type).toBe(5);
    expect((cb.body.data?.flags ?? 0) & 64).toBe(0); // public
    expect(h.fake.callsFor(i).filter((c) => c.method === 'PATCH')).toHaveLength(0);
    gate.open();
    const edit = await h.fake.waitForCall(isEdit(i));
    expect(edit.seq).toBeGreaterThan(cb.seq);
    const first = edit.body.embeds[0];
    expect(first.title).toMatch(/^acme\.test: grade [A-F] \(\d+\/100\)$/);
    expect(first.fields.length).toBeGreaterThanOrEqual(10);
    expect(validateMessage(edit.body)).toEqual([]);
    const ids = edit.body.components[0].components.map((b: { custom_id: string }) => b.custom_id);
    expect(ids).toContain('posture:recheck:acme.test');
    expect(ids.some((id: string) => id.startsWith('posture:explain:acme.test'))).toBe(true);
    expect(ids).toContain('posture:watch:acme.test');
    expect(ids).toContain('posture:plan:acme.test');
    expect(h.fake.callsFor(i).filter((c) => c.status >= 400)).toEqual([]);
  });

  it('answers a bad domain with an ephemeral error and a hint, and checks nothing', async () => {
    const before = h.checks.length;
    const i = h.fake.chatInput('check', { domain: 'https://example.com/' });
    const cb = await h.fake.waitForCall(isCallback(i));
    expect(cb.body.type).toBe(5);
    expect(cb.body.data.flags & 64).toBe(64);
    const edit = await answer(i);
    expect(edit.body.content).toMatch(/Try: \/posture check domain:example\.com/);
    expect(h.checks.length).toBe(before);
  });

  it('routes the Re-check button by its custom id: deferred update, then the card edited in place', async () => {
    const i = h.fake.button('posture:recheck:acme.test');
    const cb = await h.fake.waitForCall(isCallback(i));
    expect(cb.body.type).toBe(6);
    const edit = await h.fake.waitForCall(isEdit(i));
    expect(edit.body.embeds[0].title).toMatch(/acme\.test: grade [A-F]/);
  });

  it('routes the Fix plan button to an ephemeral plan', async () => {
    const i = h.fake.button('posture:plan:broken.test');
    const cb = await h.fake.waitForCall(isCallback(i));
    expect(cb.body.type).toBe(5);
    expect(cb.body.data.flags & 64).toBe(64);
    const edit = await answer(i);
    expect(edit.body.embeds[0].title).toMatch(/Fix plan for broken\.test/);
    expect(validateMessage(edit.body)).toEqual([]);
  });

  it('ignores buttons that are not ours', async () => {
    const i = h.fake.button('someone-else:thing');
    const probe = h.fake.chatInput('help');
    await answer(probe);
    expect(h.fake.callsFor(i)).toEqual([]);
  });
});

describe('discord: /posture explain with autocomplete', () => {
  it('autocompletes topics (type 8, at most 25 choices)', async () => {
    const a = h.fake.autocomplete('explain', { topic: 'mta' }, 'topic');
    const cb = await h.fake.waitForCall(isCallback(a));
    expect(cb.body.type).toBe(8);
    const values = cb.body.data.choices.map((c: { value: string }) => c.value);
    expect(values).toContain('mta-sts');
    expect(values.length).toBeLessThanOrEqual(25);

    const all = h.fake.autocomplete('explain', { topic: '' }, 'topic');
    const cb2 = await h.fake.waitForCall(isCallback(all));
    expect(cb2.body.data.choices).toHaveLength(25);
    for (const c of cb2.body.data.choices) expect(c.name.length).toBeLessThanOrEqual(100);
  });

  it('explains the chosen topic (deferred, then edited), and for a domain', async () => {
    const i = h.fake.chatInput('explain', { topic: 'mta-sts' });
    const cb = await h.fake.waitForCall(isCallback(i));
    expect(cb.body.type).toBe(5);
    const edit = await h.fake.waitForCall(isEdit(i));
    expect(edit.body.embeds[0].title).toMatch(/MTA-STS/);
    expect(validateMessage(edit.body)).toEqual([]);

    const j = h.fake.chatInput('explain', { topic: 'dmarc', domain: 'legacy.test' });
    const e2 = await h.fake.waitForCall(isEdit(j));
    expect(e2.body.embeds[1].title).toMatch(/^legacy\.test: grade [A-F]/);
    expect(validateMessage(e2.body)).toEqual([]);
  });

  it('answers an unknown topic ephemerally with suggestions', async () => {
    const i = h.fake.chatInput('explain', { topic: 'mta-sds' });
    const reply = await answer(i);
    expect(reply.body.flags & 64).toBe(64);
    expect(reply.body.content).toMatch(/Did you mean/);
    // the public "thinking…" was removed, not left behind
    if (isFollowUp(i)(reply)) expect(h.fake.callsFor(i).some((c) => c.method === 'DELETE')).toBe(true);
  });
});

describe('discord: mentions', () => {
  it('answers "@Posture explain MTA-STS" in the channel', async () => {
    const channel = '1400000000000000077';
    h.fake.addGuild({ id: '1300000000000000077', channels: [channel] });
    await vi.waitFor(() => expect(h.discord.client.channels.cache.has(channel)).toBe(true));
    h.fake.message('explain MTA-STS', { guildId: '1300000000000000077', channelId: channel });
    const post = await h.fake.waitForCall((c) => c.method === 'POST' && c.path === `/channels/${channel}/messages`);
    expect(post.body.embeds[0].title).toMatch(/MTA-STS/);
    expect(post.body.message_reference).toBeDefined();
    expect(post.body.allowed_mentions.parse).toEqual([]);
  });
});

describe('discord: watch, digest now, restart', () => {
  const channel = '1400000000000000042';
  const ctx = { channelId: channel, guildId: GUILD };

  it('refuses watch without Manage Server: ephemeral, nothing stored', async () => {
    const i = h.fake.chatInput('watch', { domain: 'acme.test' }, ctx);
    const cb = await h.fake.waitForCall(isCallback(i));
    expect(cb.body.type).toBe(5);
    expect(cb.body.data.flags & 64).toBe(64);
    const edit = await answer(i);
    expect(edit.body.content).toMatch(/Manage Server/);
    expect(await h.store.watchList({ platform: 'discord', workspaceId: GUILD, channelId: channel })).toEqual([]);
    expect(await h.store.getSchedule({ platform: 'discord', workspaceId: GUILD, channelId: channel })).toBeNull();
  });

  it('watches with Manage Server, then digest now posts to the channel via REST', async () => {
    const w = h.fake.chatInput('watch', { domain: 'acme.test' }, { ...ctx, ...MANAGER });
    const edit = await h.fake.waitForCall(isEdit(w));
    expect(edit.body.content).toMatch(/now watches acme\.test/);

    const w2 = h.fake.chatInput('watch', { domain: 'legacy.test' }, { ...ctx, ...MANAGER });
    await h.fake.waitForCall(isEdit(w2));

    const d = h.fake.chatInput('digest now', {}, ctx);
    const reply = await answer(d);
    expect(reply.body.content).toMatch(/Digest for 2 domains posted/);
    const posts = channelPosts(channel);
    expect(posts).toHaveLength(1);
    const msg = posts[0]!.body;
    expect(validateMessage(msg)).toEqual([]);
    expect(msg.embeds[0].title).toMatch(/^Posture digest/);
    const names = msg.embeds.flatMap((e: { fields?: { name: string }[] }) => (e.fields ?? []).map((f) => f.name)).join('\n');
    expect(names).toMatch(/acme\.test: grade [A-F]/);
    expect(names).toMatch(/legacy\.test: grade [A-F]/);
    expect(typeof msg.nonce).toBe('string');
    expect(msg.enforce_nonce).toBe(true);
  });

  it('keeps the watch list across a restart (new client, same SQLite file)', async () => {
    await h.restart();
    expect(h.fake.identifies.length).toBeGreaterThanOrEqual(2);
    const i = h.fake.chatInput('watching', {}, ctx);
    const edit = await h.fake.waitForCall(isEdit(i));
    expect(edit.body.embeds[0].title).toMatch(/Watched in this channel \(2\//);
    expect(edit.body.embeds[0].description).toMatch(/acme\.test: grade [A-F]/);

    const a = h.fake.autocomplete('unwatch', { domain: 'acm' }, 'domain', ctx);
    const cb = await h.fake.waitForCall(isCallback(a));
    expect(cb.body.data.choices).toEqual([{ name: 'acme.test', value: 'acme.test' }]);
  });

  it('sets and shows the digest schedule with typed options', async () => {
    const s = h.fake.chatInput('digest set', { weekday: 'fri', time: '7:30', zone: 'Europe/Berlin' }, { ...ctx, ...MANAGER });
    const edit = await h.fake.waitForCall(isEdit(s));
    expect(edit.body.content).toMatch(/Fridays at 07:30 \(Europe\/Berlin\)/);
    const bad = h.fake.chatInput('digest set', { weekday: 'fri', time: '25:00' }, { ...ctx, ...MANAGER });
    expect((await answer(bad)).body.content).toMatch(/not a time of day/);
  });

  it('a digest refused with 50013 disables the schedule and says so in the channel the command was used in', async () => {
    h.fake.failChannel(channel, { status: 403, code: 50013 });
    const d = h.fake.chatInput('digest now', {}, ctx);
    const cb = await h.fake.waitForCall(isCallback(d));
    expect(cb.body.data.flags & 64).toBe(64); // ephemeral: only the asker sees it
    const reply = await answer(d);
    expect(reply.body.content).toMatch(/No digest was posted: .*50013/);
    // told in the channel, best effort (here the bot cannot post at all: the notice was refused too)
    expect(channelPosts(channel).filter((c) => c.status === 403).length).toBeGreaterThanOrEqual(1);
    const schedule = await h.store.getSchedule({ platform: 'discord', workspaceId: GUILD, channelId: channel });
    expect(schedule?.enabled).toBe(false);
    expect(schedule?.disabledReason).toMatch(/50013/);
    h.fake.failChannel(channel);
  });
});

describe('discord: no failed interaction responses', () => {
  it('no call in the whole run hit 10062 Unknown interaction, 40060 already acknowledged or an unknown webhook', () => {
    const interactionCalls = h.fake.calls.filter((c) => /^\/(interactions|webhooks)\//.test(c.path));
    expect(interactionCalls.length).toBeGreaterThan(20);
    expect(interactionCalls.filter((c) => c.status >= 400).map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([]);
  });
});

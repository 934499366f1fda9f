/**
 * Discord HTTP interactions end to end: signed POSTs to `/discord/interactions` on the ops
 * server, the real bot and checker over the fixture world, answers edited in through the fake
 * Discord's REST. Signature tests: good, bad, missing, malformed, replayed (stale, future, the
 * same request twice), oversized.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../world/index.ts';
import { demoWorldOptions } from '../world/demo.ts';
import { PERMS, DEFAULT_MEMBER_PERMS, type FakeCall, type FakeInteraction } from '../world/discord-fake.ts';
import { createResolver, type RunResolver } from '../../src/checker/dns/index.ts';
import { checkDomain } from '../../src/checker/index.ts';
import type { Report } from '../../src/checker/types.ts';
import { createBot } from '../../src/bot/service.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { createOps, storeProbe, type Ops } from '../../src/http/ops.ts';
import { startOpsServer, type OpsServer } from '../../src/http/server.ts';
import { createPinoLog } from '../../src/logging.ts';
import { createDiscordHttpBot, discordPublicKeyFromEnv, optionsFromData, type DiscordHttpBot } from '../../adapters/discord/http.ts';
import { validateMessage } from '../../adapters/discord/render/limits.ts';
import { countingBot, gateFor, postInteraction, signatureOf, signingKey, startHttpFakeDiscord, type HttpFakeDiscord, type SigningKey } from './helpers.ts';

let world: World;
let resolver: RunResolver;
let fake: HttpFakeDiscord;
let store: Store;
let discord: DiscordHttpBot;
let ops: Ops;
let server: OpsServer;
let key: SigningKey;
let url: string;
let calls: string[];
const checks: string[] = [];
const gates = new Map<string, () => Promise<void>>();
const lines: string[] = [];

async function check(domain: string): Promise<Report> {
  checks.push(domain);
  const wait = gates.get(domain);
  if (wait) {
    gates.delete(domain);
    await wait();
  }
  return checkDomain(domain, domain, {
    resolver: resolver.resolver,
    options: { smtp: false, connectTo: world.connectTo, allowPrivateNetworks: true, extraCa: [world.ca.certPem], timeoutMs: 8000 },
  });
}

beforeAll(async () => {
  world = await startWorld(demoWorldOptions());
  resolver = createResolver({ servers: [world.resolver] });
  fake = await startHttpFakeDiscord();
  store = await openStore('sqlite::memory:');
  key = signingKey();
  const logging = createPinoLog({ level: 'debug', secrets: [fake.token], write: (l) => lines.push(l) });
  const counted = countingBot(createBot({ store, check }));
  calls = counted.calls;
  discord = createDiscordHttpBot(
    { token: fake.token, applicationId: fake.applicationId, apiUrl: fake.apiUrl, publicKey: key.publicKeyHex },
    { bot: counted.bot, store, log: logging.log, delivery: { intervalMs: 0 } },
  );
  await discord.start();
  ops = createOps({ log: logging.log });
  ops.addProbe('store', storeProbe(store));
  ops.addProbe('discord', () => discord.ready || 'not started');
  ops.setDiscordInteractions(discord.interactions.handle);
  server = await startOpsServer({ ops, port: 0, host: '127.0.0.1', log: logging.log });
  url = `${server.url}/discord/interactions`;
});

afterAll(async () => {
  await discord?.stop();
  await server?.close();
  await store?.close();
  await resolver?.close();
  await Promise.all([world?.stop(), fake?.close()]);
});

const isEdit = (i: FakeInteraction) => (c: FakeCall) => c.method === 'PATCH' && c.path.endsWith(`/${i.token}/messages/@original`);
const isFollowUp = (i: FakeInteraction) => (c: FakeCall) => c.method === 'POST' && c.path.endsWith(`/webhooks/${fake.applicationId}/${i.token}`);

describe('discord http: configuration', () => {
  it('reads DISCORD_PUBLIC_KEY (64 hex) and names the variable, never its value, when malformed', () => {
    expect(discordPublicKeyFromEnv({})).toBeNull();
    expect(discordPublicKeyFromEnv({ DISCORD_PUBLIC_KEY: key.publicKeyHex.toUpperCase() })).toBe(key.publicKeyHex);
    expect(() => discordPublicKeyFromEnv({ DISCORD_PUBLIC_KEY: 'zz-not-a-key' })).toThrow(/DISCORD_PUBLIC_KEY must be/);
    try {
      discordPublicKeyFromEnv({ DISCORD_PUBLIC_KEY: 'zz-not-a-key' });
    } catch (err) {
      expect((err as Error).message).not.toContain('zz-not-a-key');
    }
  });

  it('reads subcommand groups, subcommands and the focused option from a raw payload', () => {
    const o = optionsFromData({ options: [{ type: 2, name: 'digest', options: [{ type: 1, name: 'set', options: [{ type: 3, name: 'zone', value: 'Eur', focused: true }] }] }] });
    expect(o.getSubcommandGroup()).toBe('digest');
    expect(o.getSubcommand()).toBe('set');
    expect(o.getString('zone')).toBe('Eur');
    expect(o.focused).toEqual({ name: 'zone', value: 'Eur' });
  });
});

describe('discord http: signatures', () => {
  it('answers a well-signed PING with PONG', async () => {
    const r = await postInteraction(url, key, { type: 1, id: '1', token: 't', application_id: fake.applicationId });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ type: 1 });
    expect(r.headers.get('x-request-id')).toBeTruthy();
  });

  it('refuses a bad signature with 401, before any work', async () => {
    const other = signingKey();
    const before = calls.length;
    const i = fake.chatInput('check', { domain: 'acme.test' });
    const r = await postInteraction(url, other, i.payload);
    expect(r.status).toBe(401);
    // a signature over a different body
    const ts = String(Math.floor(Date.now() / 1000));
    const r2 = await postInteraction(url, key, i.payload, { timestamp: ts, signature: signatureOf(key, ts, '{"type":1}') });
    expect(r2.status).toBe(401);
    expect(calls.length).toBe(before);
    expect(fake.callsFor(i)).toEqual([]);
  });

  it('refuses missing and malformed signature headers with 401', async () => {
    const before = calls.length;
    const i = fake.chatInput('check', { domain: 'acme.test' });
    expect((await postInteraction(url, key, i.payload, { omit: ['signature'] })).status).toBe(401);
    expect((await postInteraction(url, key, i.payload, { omit: ['timestamp'] })).status).toBe(401);
    expect((await postInteraction(url, key, i.payload, { omit: ['signature', 'timestamp'] })).status).toBe(401);
    expect((await postInteraction(url, key, i.payload, { signature: 'not-hex' })).status).toBe(401);
    expect((await postInteraction(url, key, i.payload, { timestamp: 'yesterday' })).status).toBe(401);
    expect(calls.length).toBe(before);
  });

  it('refuses replays: a stale or future timestamp, and the same signed request twice', async () => {
    const before = calls.length;
    const i = fake.chatInput('check', { domain: 'acme.test' });
    const now = Math.floor(Date.now() / 1000);
    expect((await postInteraction(url, key, i.payload, { timestamp: String(now - 301) })).status).toBe(401);
    expect((await postInteraction(url, key, i.payload, { timestamp: String(now + 301) })).status).toBe(401);
    expect(calls.length).toBe(before);

    const ping = { type: 1, id: '2', token: 't2' };
    const ts = String(now);
    const sig = signatureOf(key, ts, JSON.stringify(ping));
    expect((await postInteraction(url, key, ping, { timestamp: ts, signature: sig })).status).toBe(200);
    const again = await postInteraction(url, key, ping, { timestamp: ts, signature: sig });
    expect(again.status).toBe(401);
  });

  it('refuses an oversized body with 413 and no bot call', async () => {
    const before = calls.length;
    const i = fake.chatInput('check', { domain: 'acme.test' });
    const big = JSON.stringify({ ...i.payload, padding: 'x'.repeat(70 * 1024) });
    const r = await postInteraction(url, key, big);
    expect(r.status).toBe(413);
    expect(calls.length).toBe(before);
  });

  it('answers 400 to a signed body that is not an interaction, and 405 to GET', async () => {
    expect((await postInteraction(url, key, 'not json')).status).toBe(400);
    expect((await fetch(url)).status).toBe(405);
  });
});

describe('discord http: /posture over HTTP', () => {
  it('/posture check domain:acme.test: deferred at once, then the card PATCHed in', async () => {
    const g = gateFor();
    gates.set('acme.test', g.wait);
    const i = fake.chatInput('check', { domain: 'acme.test' });
    const r = await postInteraction(url, key, i.payload);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ type: 5 }); // public: a card is for the channel
    await g.gate.reached; // the check is running, held at the gate
    expect(fake.callsFor(i)).toEqual([]); // nothing edited in yet
    g.gate.open();
    const edit = await fake.waitForCall(isEdit(i));
    expect(edit.status).toBe(200);
    expect(edit.body.embeds[0].title).toMatch(/^acme\.test: grade [A-F]/);
    expect(validateMessage(edit.body)).toEqual([]);
    expect(edit.authorization).toBeUndefined(); // webhook routes are authorised by the interaction token
    const ids = edit.body.components[0].components.map((b: { custom_id: string }) => b.custom_id);
    expect(ids).toContain('posture:recheck:acme.test');
  });

  it('answers a usage error at once, ephemerally, and checks nothing', async () => {
    const before = checks.length;
    const i = fake.chatInput('check', { domain: 'https://example.com/' });
    const r = await postInteraction(url, key, i.payload);
    expect(r.json.type).toBe(4);
    expect(r.json.data.flags & 64).toBe(64);
    expect(r.json.data.content).toMatch(/Try: \/posture check domain:example\.com/);
    expect(checks.length).toBe(before);
  });

  it('respects Manage Server: watch is refused privately without it, done publicly with it', async () => {
    const a = fake.chatInput('watch', { domain: 'acme.test' }, { permissions: DEFAULT_MEMBER_PERMS });
    const ra = await postInteraction(url, key, a.payload);
    expect(ra.json).toEqual({ type: 5, data: { flags: 64 } });
    const ea = await fake.waitForCall(isEdit(a));
    expect(JSON.stringify(ea.body)).toMatch(/Manage Server/);
    expect(await store.watchList({ platform: 'discord', workspaceId: '1300000000000000001', channelId: '1400000000000000001' })).toEqual([]);

    const b = fake.chatInput('watch', { domain: 'acme.test' }, { permissions: DEFAULT_MEMBER_PERMS | PERMS.ManageGuild });
    const rb = await postInteraction(url, key, b.payload);
    expect(rb.json).toEqual({ type: 5 });
    await fake.waitForCall(isEdit(b));
    const list = await store.watchList({ platform: 'discord', workspaceId: '1300000000000000001', channelId: '1400000000000000001' });
    expect(list.map((e) => e.domain)).toEqual(['acme.test']);
  });

  it('autocompletes topics and watched domains (type 8)', async () => {
    const a = fake.autocomplete('explain', { topic: 'mta' }, 'topic');
    const r = await postInteraction(url, key, a.payload);
    expect(r.json.type).toBe(8);
    expect(r.json.data.choices.map((c: { value: string }) => c.value)).toContain('mta-sts');
    expect(r.json.data.choices.length).toBeLessThanOrEqual(25);

    const d = fake.autocomplete('unwatch', { domain: 'acm' }, 'domain');
    const rd = await postInteraction(url, key, d.payload);
    expect(rd.json.data.choices).toEqual([{ name: 'acme.test', value: 'acme.test' }]);
  });

  it('Re-check button: deferred update, then the card edited in place', async () => {
    const i = fake.button('posture:recheck:acme.test');
    const r = await postInteraction(url, key, i.payload);
    expect(r.json).toEqual({ type: 6 });
    const edit = await fake.waitForCall(isEdit(i));
    expect(edit.body.embeds[0].title).toMatch(/^acme\.test: grade [A-F]/);
  });

  it('Fix plan button: ephemeral deferral, then the plan', async () => {
    const i = fake.button('posture:plan:acme.test');
    const r = await postInteraction(url, key, i.payload);
    expect(r.json).toEqual({ type: 5, data: { flags: 64 } });
    const edit = await fake.waitForCall(isEdit(i));
    expect(edit.body.embeds[0].title).toMatch(/Fix plan for acme\.test/);
  });

  it('an ephemeral answer to a public deferral follows up privately', async () => {
    const i = fake.chatInput('explain', { topic: 'mta-sds' });
    const r = await postInteraction(url, key, i.payload);
    expect(r.json).toEqual({ type: 5 });
    const f = await fake.waitForCall(isFollowUp(i));
    expect(f.body.flags & 64).toBe(64);
    expect(f.body.content).toMatch(/Did you mean/);
    expect(fake.callsFor(i).some((c) => c.method === 'DELETE')).toBe(true);
  });

  it('acknowledges buttons that are not ours without doing anything', async () => {
    const before = calls.length;
    const i = fake.button('someone-else:thing');
    const r = await postInteraction(url, key, i.payload);
    expect(r.json).toEqual({ type: 6 });
    expect(calls.length).toBe(before);
  });

  it('is ready, and the log names requests but never the token or a signature', async () => {
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { store: 'ok', discord: 'ok' } });
    await discord.interactions.idle();
    const all = lines.join('');
    expect(all).toMatch(/"msg":"http request"/);
    expect(all).toMatch(/"path":"\/discord\/interactions"/);
    expect(all).not.toContain(fake.token);
    expect(all).not.toMatch(/[0-9a-f]{128}/); // no Ed25519 signature
    expect(all).not.toContain('itk_'); // no interaction token
    // each refusal was for the reason the test meant
    for (const reason of ['bad signature', 'missing signature headers', 'malformed signature headers', 'stale timestamp', 'replayed request', 'body too large']) {
      expect(all).toContain(`"reason":"${reason}"`);
    }
  });
});

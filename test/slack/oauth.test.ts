/** Multi-workspace OAuth through the real Bolt receiver: /slack/install → redirect → store → use → revoke. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { World } from '../world/index.ts';
import { sendEvent, sendSlashCommand, type FakeSlack } from '../world/slack-fake.ts';
import { isDeliveryError } from '../../src/digest/delivery.ts';
import { SECRET, demoWorldOptions, startApp, startFakeSlack, startWorld, tempDb, worldCheck, type Running } from './harness.ts';

let world: World;
let fake: FakeSlack;
let app: Running;
const OTHER_TOKEN = 'xoxb-other-workspace-token';

beforeAll(async () => {
  world = await startWorld(demoWorldOptions());
  fake = await startFakeSlack({ validTokens: [] });
  app = await startApp({
    fake, dbPath: tempDb(), check: worldCheck(world), placeholderAfterMs: 60_000,
    config: { mode: 'oauth', clientId: '111.222', clientSecret: 'client-secret-value', stateSecret: 'state-secret-value', signingSecret: SECRET, botToken: undefined },
  });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
  await world?.stop();
});

describe('OAuth install', () => {
  it('starts without a bot token, logging the mode and no secret', () => {
    expect(app.slack.mode).toBe('oauth');
    expect(fake.callsTo('auth.test')).toHaveLength(0);
    const log = app.logs.join('\n');
    expect(log).toContain('OAuth (multi-workspace) mode');
    expect(log).not.toContain('client-secret-value');
    expect(log).not.toContain('state-secret-value');
  });

  it('/slack/install → Slack → /slack/oauth_redirect stores the installation, then commands work there', async () => {
    const page = await fetch(`${app.base}/slack/install`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const href = /href="(https:\/\/slack\.com\/oauth[^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    expect(href).toBeDefined();
    const authorize = new URL(href!);
    expect(authorize.searchParams.get('client_id')).toBe('111.222');
    expect(authorize.searchParams.get('scope')?.split(',')).toEqual(expect.arrayContaining(['commands', 'chat:write', 'chat:write.public']));
    const state = authorize.searchParams.get('state')!;
    const cookie = (page.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');

    fake.grantOAuth('code-1', { teamId: 'T0OTHER', teamName: 'Other Co', botToken: OTHER_TOKEN, userId: 'U0CAROL' });
    const done = await fetch(`${app.base}/slack/oauth_redirect?code=code-1&state=${encodeURIComponent(state)}`, { headers: { cookie } });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Posture is installed in Other Co');
    expect(fake.callsTo('oauth.v2.access')[0]!.args['client_secret'] ?? fake.callsTo('oauth.v2.access')[0]!.args['code']).toBeDefined();

    const inst = await app.store.getInstallation({ platform: 'slack', workspaceId: 'T0OTHER' });
    expect(inst?.workspaceName).toBe('Other Co');
    expect(inst?.installedBy).toBe('U0CAROL');
    expect((inst?.secrets as { bot?: { token?: string } }).bot?.token).toBe(OTHER_TOKEN);

    // a slash command from that workspace
    const url = fake.responseUrl('oauth-card');
    const ack = await sendSlashCommand(app.endpoint, SECRET, { text: 'acme.test', response_url: url, team_id: 'T0OTHER' });
    expect(ack.status).toBe(200);
    const card = await fake.waitFor(() => fake.responsesTo('oauth-card')[0]);
    expect(String(card.body['text'])).toMatch(/^acme\.test: grade/);

    // a mention answered with the installation's token
    const before = fake.callsTo('chat.postMessage').length;
    await sendEvent(app.endpoint, SECRET, { type: 'app_mention', user: 'U0CAROL', text: '<@U0POSTBOT> help', ts: '1700000300.000100', channel: 'C0OTHER' }, { team: 'T0OTHER' });
    const post = await fake.waitFor(() => fake.callsTo('chat.postMessage')[before] ?? fake.callsTo('chat.postEphemeral').find((c) => c.args['channel'] === 'C0OTHER'));
    expect(post.token).toBe(OTHER_TOKEN);

    // digests go out with that token too
    await app.slack.port.deliver({ platform: 'slack', workspaceId: 'T0OTHER', channelId: 'C0OTHER' }, {
      kind: 'digest', channel: 'C0OTHER', title: 'Posture digest 2026-W48', headline: 'No domains to report', periodKey: '2026-W48',
      generatedAt: '2026-11-30T08:00:00.000Z', entries: [], more: 0, moreText: null,
      totals: { domains: 0, regressed: 0, improved: 0, unchanged: 0, failed: 0, new: 0 }, alerts: [], alertsMore: 0,
    }, { idempotencyKey: 'k1', kind: 'digest' });
    expect(fake.callsTo('chat.postMessage').at(-1)!.token).toBe(OTHER_TOKEN);
  });

  it('tokens_revoked forgets the installation; digests then fail permanently', async () => {
    const res = await sendEvent(app.endpoint, SECRET, { type: 'tokens_revoked', tokens: { bot: ['U0POSTBOT'] } }, { team: 'T0OTHER' });
    expect(res.status).toBe(200);
    await fake.waitFor(() => app.logs.some((l) => l.includes('tokens_revoked')));
    const inst = await app.store.getInstallation({ platform: 'slack', workspaceId: 'T0OTHER' }, { includeRevoked: true });
    expect(inst?.revokedAt).toBeInstanceOf(Date);
    expect(inst?.secrets).toBeNull();
    let err: unknown;
    try {
      await app.slack.port.deliver({ platform: 'slack', workspaceId: 'T0OTHER', channelId: 'C0OTHER' }, {} as never, { idempotencyKey: 'k2', kind: 'digest' });
    } catch (e) {
      err = e;
    }
    expect(isDeliveryError(err) && err.permanent).toBe(true);
  });
});

/** Socket Mode: the real Bolt app connects to the fake's WebSocket (apps.connections.open) and answers envelopes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { World } from '../world/index.ts';
import { eventEnvelope, type FakeSlack } from '../world/slack-fake.ts';
import { BOT_TOKEN, demoWorldOptions, startApp, startFakeSlack, startWorld, tempDb, worldCheck, type Running } from './harness.ts';

let world: World;
let fake: FakeSlack;
let app: Running;

beforeAll(async () => {
  world = await startWorld(demoWorldOptions());
  fake = await startFakeSlack();
  app = await startApp({
    fake, dbPath: tempDb(), check: worldCheck(world), placeholderAfterMs: 60_000,
    config: { mode: 'socket', appToken: 'xapp-1-A0POSTURE-socket', signingSecret: undefined, port: 0, host: '127.0.0.1' },
  });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
  await world?.stop();
});

describe('Socket Mode', () => {
  it('opens the connection with the app token and logs the mode', async () => {
    const open = fake.callsTo('apps.connections.open');
    expect(open.length).toBeGreaterThan(0);
    expect(open[0]!.token).toBe('xapp-1-A0POSTURE-socket');
    expect(fake.callsTo('auth.test')[0]!.token).toBe(BOT_TOKEN);
    expect(app.logs.join('\n')).toContain('Socket Mode');
    expect(app.logs.join('\n')).not.toContain('xapp-1-A0POSTURE-socket');
  });

  it('acks a slash command envelope and sends the card to response_url', async () => {
    const url = fake.responseUrl('socket-card');
    const ack = await fake.sendEnvelope('slash_commands', {
      command: '/posture', text: 'parked.test', team_id: 'T0POSTURE', channel_id: 'C0SOCK', user_id: 'U0ALICE', response_url: url, trigger_id: 't',
    });
    expect(ack.envelope_id).toBeTruthy();
    const card = await fake.waitFor(() => fake.responsesTo('socket-card')[0]);
    expect(card.body['response_type']).toBe('in_channel');
    expect(String(card.body['text'])).toMatch(/^parked\.test: grade [A-F]/);
  });

  it('answers a mention delivered as an events_api envelope', async () => {
    const before = fake.callsTo('chat.postMessage').length;
    await fake.sendEnvelope('events_api', eventEnvelope({ type: 'app_mention', user: 'U0ALICE', text: '<@U0POSTBOT> explain dmarc', channel: 'C0SOCK', ts: '1700000400.000100' }));
    const post = await fake.waitFor(() => fake.callsTo('chat.postMessage')[before]);
    expect(String(post.args['text'])).toMatch(/DMARC/);
  });
});

/**
 * The Slack events path refuses bad, missing, stale, replayed and oversized requests before any
 * work: no bot call, nothing posted. The real Bolt app (test/slack/harness.ts) on the fixture world.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { World } from '../world/index.ts';
import { sendSigned, slackSignature, slashCommandBody, type FakeSlack, type SendOptions } from '../world/slack-fake.ts';
import { SLACK_MAX_BODY_BYTES } from '../../adapters/slack/request-guard.ts';
import { SECRET, demoWorldOptions, startApp, startFakeSlack, startWorld, tempDb, worldCheck, type Running } from '../slack/harness.ts';

let world: World;
let fake: FakeSlack;
let app: Running;

beforeAll(async () => {
  world = await startWorld(demoWorldOptions());
  fake = await startFakeSlack();
  app = await startApp({ fake, dbPath: tempDb(), check: worldCheck(world), placeholderAfterMs: 0 });
});

afterAll(async () => {
  await app?.stop();
  await fake?.close();
  await world?.stop();
});

const FORM = 'application/x-www-form-urlencoded';
const nowSec = (): number => Math.floor(Date.now() / 1000);

/** A slash command whose text pads the body to about `bytes`. */
function paddedCommand(id: string, bytes: number): string {
  const base = slashCommandBody({ text: 'help', response_url: fake.responseUrl(id) });
  return `${base}&padding=${'x'.repeat(Math.max(0, bytes - base.length - 9))}`;
}

/** After a refused request, a good one proves the app alive and orders the counts. */
async function expectNothingDone(id: string, before: { calls: number; bot: number }): Promise<void> {
  const ok = `ok-after-${id}`;
  const r = await sendSigned(app.endpoint, SECRET, slashCommandBody({ text: 'help', response_url: fake.responseUrl(ok) }), FORM);
  expect(r.status).toBe(200);
  await fake.waitFor(() => fake.responsesTo(ok)[0]);
  expect(fake.responsesTo(id)).toHaveLength(0);
  expect(fake.calls.length).toBe(before.calls);
  expect(app.botCalls).toBe(before.bot + 1); // only the good help
}

const counts = () => ({ calls: fake.calls.length, bot: app.botCalls });

describe('Slack events path: refused before any work', () => {
  const cases: Array<[string, SendOptions]> = [
    ['unsigned', { signature: null }],
    ['signed with another secret', { secret: 'not-the-signing-secret-000' }],
    ['malformed signature', { signature: 'v0=zz' }],
    ['stale timestamp (6 minutes old)', { timestamp: nowSec() - 360 }],
    // Bolt alone only refuses timestamps from the past
    ['timestamp 10 minutes in the future', { timestamp: nowSec() + 600 }],
  ];
  for (const [name, options] of cases) {
    it(`${name}: 401, no bot call, nothing posted`, async () => {
      const before = counts();
      const id = `refused-${name}`;
      const r = await sendSigned(app.endpoint, SECRET, slashCommandBody({ text: 'acme.test', response_url: fake.responseUrl(id) }), FORM, options);
      expect(r.status).toBe(401);
      await expectNothingDone(id, before);
    });
  }

  it('a replayed request (same signature and timestamp, inside the window): the first works, the copy is 401', async () => {
    const id = 'replayed';
    const body = slashCommandBody({ text: 'help', response_url: fake.responseUrl(id) });
    const timestamp = nowSec();
    const first = await sendSigned(app.endpoint, SECRET, body, FORM, { timestamp });
    expect(first.status).toBe(200);
    await fake.waitFor(() => fake.responsesTo(id)[0]);
    const before = counts();
    const again = await sendSigned(app.endpoint, SECRET, body, FORM, { timestamp });
    expect(again.status).toBe(401);
    const ok = 'ok-after-replay';
    await sendSigned(app.endpoint, SECRET, slashCommandBody({ text: 'help', response_url: fake.responseUrl(ok) }), FORM);
    await fake.waitFor(() => fake.responsesTo(ok)[0]);
    expect(fake.responsesTo(id)).toHaveLength(1);
    expect(app.botCalls).toBe(before.bot + 1);
    expect(app.slack.requestGuard?.refused['replayed request']).toBe(1);
  });

  it('a correctly signed body over the cap (2 MiB, under Bolt\'s own 4 MB): 413, no bot call', async () => {
    const before = counts();
    const id = 'oversized-declared';
    const body = paddedCommand(id, 2 * 1024 * 1024);
    const r = await sendSigned(app.endpoint, SECRET, body, FORM);
    expect(r.status).toBe(413);
    await expectNothingDone(id, before);
  });

  it('a chunked body with no Content-Length is cut off when it passes the cap: 413, no bot call', async () => {
    const before = counts();
    const id = 'oversized-chunked';
    const body = paddedCommand(id, SLACK_MAX_BODY_BYTES + 64 * 1024);
    const timestamp = nowSec();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(app.endpoint, {
        method: 'POST',
        headers: { 'content-type': FORM, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature(SECRET, timestamp, body) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      // the server may close while we are still writing
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      const buf = Buffer.from(body);
      for (let i = 0; i < buf.length; i += 64 * 1024) req.write(buf.subarray(i, i + 64 * 1024));
      req.end();
    });
    expect(status).toBe(413);
    await expectNothingDone(id, before);
  });

  it('an unsigned ssl_check is answered 200 and does nothing else', async () => {
    const before = counts();
    const r = await sendSigned(app.endpoint, SECRET, 'ssl_check=1&token=x&command=%2Fposture&text=acme.test', FORM, { signature: null });
    expect(r.status).toBe(200);
    await expectNothingDone('ssl-check-none', before);
  });

  it('the refusals are logged by reason, never with the secret or the signature', () => {
    const all = app.logs.join('\n');
    expect(all).toMatch(/Slack request refused \(401\): bad signature/);
    expect(all).toMatch(/Slack request refused \(413\): body too large/);
    expect(all).not.toContain(SECRET);
    expect(all).not.toMatch(/v0=[0-9a-f]{64}/);
  });
});

/** Listener callbacks called directly with fake ack/respond/client (bolt-ts-starter-template style). */
import { describe, expect, it, vi } from 'vitest';
import type { Bot, Reply } from '../../src/bot/service.ts';
import type { Store } from '../../src/store/types.ts';
import { commandListener } from '../../adapters/slack/listeners/command.ts';
import { actionsListener } from '../../adapters/slack/listeners/actions.ts';
import { directMessageListener, mentionListener } from '../../adapters/slack/listeners/message.ts';
import { lifecycleListener } from '../../adapters/slack/listeners/lifecycle.ts';
import { stripMention } from '../../adapters/slack/payloads.ts';
import { createLogger } from '../../adapters/slack/log.ts';
import type { RespondMessage } from '../../adapters/slack/listeners/shared.ts';

const logger = createLogger('error', () => undefined);
const store = { getInstallation: async () => null, revokeInstallation: vi.fn(async () => true) } as unknown as Store;

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const notice = (text: string, visibility: 'channel' | 'ephemeral' = 'channel'): Reply => ({ kind: 'notice', visibility, text });

function fakeBot(handleText: Bot['handleText']): Bot {
  return { handleText, handle: vi.fn(), card: vi.fn(), plan: vi.fn() } as unknown as Bot;
}

const command = (text: string) => ({
  command: '/posture', text, team_id: 'T1', channel_id: 'C1', user_id: 'U1', response_url: 'http://127.0.0.1:9/respond/x',
});

describe('commandListener', () => {
  it('acks before the bot answers, shows the placeholder, then replaces it', async () => {
    const order: string[] = [];
    const answer = deferred<Reply>();
    const bot = fakeBot(async () => {
      order.push('bot');
      return answer.promise;
    });
    const respond = vi.fn(async (m: RespondMessage) => {
      order.push(m.replace_original ? 'card' : `respond:${m.text}`);
    });
    const ack = vi.fn(async () => {
      order.push('ack');
    });
    const run = commandListener({ bot, store, logger, placeholderAfterMs: 0 })({ command: command('example.com'), ack, respond });
    await vi.waitFor(() => expect(respond).toHaveBeenCalledTimes(1));
    answer.resolve(notice('example.com: grade B'));
    await run;
    expect(order).toEqual(['ack', 'bot', 'respond:Checking example.com…', 'card']);
    expect(respond.mock.calls[1]![0]).toMatchObject({ response_type: 'in_channel', replace_original: true });
  });

  it('an ephemeral reply after a placeholder deletes the placeholder first', async () => {
    const answer = deferred<Reply>();
    const respond = vi.fn(async (_m: RespondMessage) => undefined);
    const run = commandListener({ bot: fakeBot(() => answer.promise), store, logger, placeholderAfterMs: 0 })({ command: command('example.com'), ack: async () => undefined, respond });
    await vi.waitFor(() => expect(respond).toHaveBeenCalledTimes(1));
    answer.resolve({ kind: 'error', visibility: 'ephemeral', text: 'You have asked for 10 checks in the last minute, which is the limit. Try again in 5 s.' });
    await run;
    expect(respond.mock.calls.map((c) => c[0])).toMatchObject([
      { text: 'Checking example.com…' }, { delete_original: true }, { response_type: 'ephemeral', replace_original: false },
    ]);
  });

  it('no placeholder for commands that check nothing; a crash becomes an ephemeral apology', async () => {
    const respond = vi.fn(async (_m: RespondMessage) => undefined);
    await commandListener({ bot: fakeBot(async () => { throw new Error('boom'); }), store, logger, placeholderAfterMs: 0 })({ command: command('watching'), ack: async () => undefined, respond });
    expect(respond).toHaveBeenCalledTimes(1);
    expect(respond.mock.calls[0]![0]).toMatchObject({ response_type: 'ephemeral' });
    expect(String(respond.mock.calls[0]![0].text)).toContain('/posture help');
  });

  it('acks and does nothing else for a payload without the fields it needs', async () => {
    const ack = vi.fn(async () => undefined);
    const respond = vi.fn(async (_m: RespondMessage) => undefined);
    const handleText = vi.fn();
    await commandListener({ bot: fakeBot(handleText), store, logger })({ command: { command: '/posture', text: 'x' }, ack, respond });
    expect(ack).toHaveBeenCalledOnce();
    expect(handleText).not.toHaveBeenCalled();
    expect(respond).not.toHaveBeenCalled();
  });
});

describe('actionsListener', () => {
  it('ignores action ids that are not ours', async () => {
    const bot = fakeBot(vi.fn());
    const respond = vi.fn(async (_m: RespondMessage) => undefined);
    await actionsListener({ bot, store, logger })({
      body: { type: 'block_actions', user: { id: 'U1' }, team: { id: 'T1' }, actions: [{ action_id: 'other:thing' }] },
      ack: async () => undefined, respond,
    });
    expect(respond).not.toHaveBeenCalled();
  });

  it('Watch calls the bot\'s watch for the clicked domain', async () => {
    const handle = vi.fn(async () => notice('This channel now watches example.com.'));
    const bot = { ...fakeBot(vi.fn()), handle } as unknown as Bot;
    const respond = vi.fn(async (_m: RespondMessage) => undefined);
    await actionsListener({ bot, store, logger })({
      body: { type: 'block_actions', user: { id: 'U1' }, team: { id: 'T1' }, channel: { id: 'C1' }, response_url: 'http://127.0.0.1:9/r', actions: [{ action_id: 'posture:watch:example.com' }] },
      ack: async () => undefined, respond,
    });
    expect(handle).toHaveBeenCalledWith({ kind: 'watch', domains: ['example.com'] }, expect.objectContaining({ userId: 'U1', channel: { platform: 'slack', workspaceId: 'T1', channelId: 'C1' } }));
    expect(respond.mock.calls[0]![0]).toMatchObject({ response_type: 'in_channel', replace_original: false });
  });
});

describe('mentions and DMs', () => {
  const chat = () => ({
    postMessage: vi.fn(async (_a: { channel: string; text: string }) => ({ ts: '1.2' })),
    postEphemeral: vi.fn(async (_a: unknown) => ({})),
    update: vi.fn(async (_a: unknown) => ({})),
    delete: vi.fn(async (_a: unknown) => ({})),
  });

  it('strips the mention and answers ephemeral replies privately', async () => {
    const c = chat();
    const handleText = vi.fn(async () => ({ kind: 'error', visibility: 'ephemeral', text: 'nope' }) as Reply);
    await mentionListener({ bot: fakeBot(handleText), store, logger })({
      event: { type: 'app_mention', user: 'U1', text: '<@UBOT> watch', channel: 'C1', ts: '1.1' }, body: { team_id: 'T1' },
      client: { chat: c }, context: { botUserId: 'UBOT' },
    });
    expect(handleText).toHaveBeenCalledWith('watch', expect.anything());
    expect(c.postEphemeral).toHaveBeenCalledOnce();
    expect(c.postMessage).not.toHaveBeenCalled();
  });

  it('ignores bot messages and edits in DMs', async () => {
    const handleText = vi.fn();
    const l = directMessageListener({ bot: fakeBot(handleText), store, logger });
    await l({ event: { type: 'message', channel_type: 'im', user: 'U1', text: 'hi', channel: 'D1', ts: '1', bot_id: 'B1' }, body: { team_id: 'T1' }, client: { chat: chat() }, context: {} });
    await l({ event: { type: 'message', channel_type: 'im', subtype: 'message_changed', user: 'U1', text: 'hi', channel: 'D1', ts: '1' }, body: { team_id: 'T1' }, client: { chat: chat() }, context: {} });
    await l({ event: { type: 'message', channel_type: 'channel', user: 'U1', text: 'hi', channel: 'C1', ts: '1' }, body: { team_id: 'T1' }, client: { chat: chat() }, context: {} });
    expect(handleText).not.toHaveBeenCalled();
  });

  it('stripMention', () => {
    expect(stripMention('<@U123>   explain  MTA-STS ', 'U123')).toBe('explain MTA-STS');
    expect(stripMention('<@U123|posture> acme.test')).toBe('acme.test');
  });
});

describe('lifecycleListener', () => {
  it('revokes on app_uninstalled and on bot tokens_revoked only', async () => {
    const revoke = vi.fn(async () => true);
    const s = { revokeInstallation: revoke } as unknown as Store;
    const l = lifecycleListener({ bot: fakeBot(vi.fn()), store: s, logger });
    await l({ event: { type: 'tokens_revoked', tokens: { oauth: ['U1'] } }, body: { team_id: 'T1' } });
    expect(revoke).not.toHaveBeenCalled();
    await l({ event: { type: 'tokens_revoked', tokens: { bot: ['UBOT'] } }, body: { team_id: 'T1' } });
    await l({ event: { type: 'app_uninstalled' }, body: { team_id: 'T2', enterprise_id: 'E1', is_enterprise_install: true } });
    expect(revoke.mock.calls).toEqual([[{ platform: 'slack', workspaceId: 'T1' }], [{ platform: 'slack', workspaceId: 'E1' }]]);
  });
});

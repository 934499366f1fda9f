/** manifest.yml ↔ code: the slash command, the scopes the code uses, the events it listens to. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { BOT_EVENTS, BOT_SCOPES, SLASH_COMMAND } from '../../adapters/slack/app.ts';
import { SLACK_EVENTS_PATH, SLACK_REDIRECT_PATH } from '../../adapters/slack/config.ts';

const root = path.resolve(import.meta.dirname, '../..');
const manifest = parse(readFileSync(path.join(root, 'manifest.yml'), 'utf8')) as {
  features: { slash_commands: { command: string; url?: string; usage_hint?: string; description: string }[]; app_home: Record<string, boolean>; bot_user: { display_name: string } };
  oauth_config: { scopes: { bot: string[]; user?: string[] }; redirect_urls: string[] };
  settings: { event_subscriptions: { bot_events: string[]; request_url: string }; interactivity: { is_enabled: boolean; request_url: string } };
};

function sourceOf(dir: string): string {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out.join('\n');
}

describe('manifest.yml', () => {
  it('declares exactly the slash command the code registers, with a usage hint', () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual([SLASH_COMMAND]);
    const cmd = manifest.features.slash_commands[0]!;
    expect(cmd.usage_hint).toMatch(/example\.com/);
    expect(cmd.description.length).toBeLessThanOrEqual(100);
    expect(cmd.url).toMatch(new RegExp(`${SLACK_EVENTS_PATH}$`));
  });

  it('asks for exactly the bot scopes the code uses, no user scopes', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...BOT_SCOPES].sort());
    expect(manifest.oauth_config.scopes.user ?? []).toEqual([]);
    for (const s of ['commands', 'chat:write', 'chat:write.public']) expect(manifest.oauth_config.scopes.bot).toContain(s);
  });

  it('subscribes to exactly the events the code listens to', () => {
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual([...BOT_EVENTS].sort());
    const app = readFileSync(path.join(root, 'adapters/slack/app.ts'), 'utf8');
    for (const e of BOT_EVENTS) {
      const name = e === 'message.im' ? 'message' : e;
      expect(app).toContain(`app.event('${name}'`);
    }
  });

  it('every scope is used by the code, and every Web API method the code calls is covered', () => {
    const src = sourceOf(path.join(root, 'adapters/slack'));
    const used: Record<string, boolean> = {
      'channels:join': src.includes('conversations.join'),
      'chat:write': src.includes('chat.postMessage') || src.includes('postMessage('),
      'app_mentions:read': src.includes("'app_mention'"),
      'im:history': src.includes("channel_type !== 'im'"),
      commands: src.includes('app.command('),
      'chat:write.public': src.includes('chat.postMessage'),
    };
    for (const scope of BOT_SCOPES) expect(used[scope], scope).toBe(true);
    // methods that would need scopes we do not ask for
    for (const m of ['conversations.history', 'users.info', 'conversations.list', 'files.upload']) expect(src).not.toContain(m);
  });

  it('has the App Home tab, interactivity and the OAuth redirect on the paths the receiver serves', () => {
    expect(manifest.features.app_home['home_tab_enabled']).toBe(true);
    expect(manifest.features.app_home['messages_tab_enabled']).toBe(true);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.interactivity.request_url).toMatch(new RegExp(`${SLACK_EVENTS_PATH}$`));
    expect(manifest.settings.event_subscriptions.request_url).toMatch(new RegExp(`${SLACK_EVENTS_PATH}$`));
    expect(manifest.oauth_config.redirect_urls[0]).toMatch(new RegExp(`${SLACK_REDIRECT_PATH}$`));
  });
});

/**
 * Registration (`posture discord register [--guild ID]`) and configuration from the environment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord } from '../world/discord-fake.ts';
import { canonicalCommands, registerCommands } from '../../adapters/discord/register.ts';
import { postureCommandJSON } from '../../adapters/discord/commands.ts';
import { runDiscordCli } from '../../adapters/discord/cli.ts';
import { DiscordConfigError, discordConfigFromEnv } from '../../adapters/discord/index.ts';
import type { CliIo } from '../../src/cli/io.ts';

let fake: FakeDiscord;
beforeAll(async () => {
  fake = await startFakeDiscord();
});
afterAll(async () => {
  await fake?.close();
});

function io(env: Record<string, string>): CliIo & { out: string; err: string } {
  const o = { out: '', err: '' };
  return Object.assign(o, {
    stdout: { write: (s: string) => (o.out += s) },
    stderr: { write: (s: string) => (o.err += s) },
    readStdin: async () => '',
    env,
  });
}

const GUILD = '1300000000000000555';
const puts = (path: string) => fake.calls.filter((c) => c.method === 'PUT' && c.path === path);

describe('discord register', () => {
  it('`posture discord register --guild G` twice: same commands, the second call changes nothing', async () => {
    const env = { DISCORD_TOKEN: fake.token, DISCORD_APPLICATION_ID: fake.applicationId, DISCORD_API_URL: fake.apiUrl };
    const route = `/applications/${fake.applicationId}/guilds/${GUILD}/commands`;
    const first = io(env);
    expect(await runDiscordCli(['register', '--guild', GUILD], first)).toBe(0);
    expect(first.out).toMatch(/Registered \/posture in guild/);
    expect(puts(route)).toHaveLength(1);
    const registered = structuredClone(fake.guildCommands.get(GUILD));
    expect(registered?.map((c: { name: string }) => c.name)).toEqual(['posture']);

    const second = io(env);
    expect(await runDiscordCli(['register', '--guild', GUILD], second)).toBe(0);
    expect(second.out).toMatch(/already up to date/);
    expect(puts(route)).toHaveLength(1);
    expect(fake.guildCommands.get(GUILD)).toEqual(registered);
  });

  it('registers globally without --guild, and re-registers when the definition differs', async () => {
    const opts = { token: fake.token, applicationId: fake.applicationId, apiUrl: fake.apiUrl };
    expect((await registerCommands(opts)).changed).toBe(true);
    expect((await registerCommands(opts)).changed).toBe(false);
    fake.globalCommands[0].description = 'an older description';
    expect((await registerCommands(opts)).changed).toBe(true);
    expect(fake.globalCommands[0].description).toBe(postureCommandJSON()[0]!.description);
  });

  it('the command definition: subcommands, autocomplete, guild only, within Discord limits', () => {
    const [cmd] = postureCommandJSON();
    const subs = cmd!.options!.map((o) => o.name);
    expect(subs).toEqual(['check', 'explain', 'watch', 'unwatch', 'watching', 'digest', 'help']);
    const json = JSON.stringify(cmd);
    expect(json).toContain('"autocomplete":true');
    expect(cmd!.contexts).toEqual([0]);
    expect(JSON.stringify(cmd).length).toBeLessThan(8000); // Discord's 8000-character command limit
    expect(canonicalCommands([cmd])).toBe(canonicalCommands([{ ...cmd, id: '1', version: '2', default_member_permissions: null, nsfw: false }]));
  });

  it('a bad token is refused with exit 1 and a hint, never echoing the token', async () => {
    const secret = 'not.the.right.token';
    const r = io({ DISCORD_TOKEN: secret, DISCORD_APPLICATION_ID: fake.applicationId, DISCORD_API_URL: fake.apiUrl });
    expect(await runDiscordCli(['register', '--guild', GUILD], r)).toBe(1);
    expect(r.err).toMatch(/check DISCORD_TOKEN/);
    expect(r.err + r.out).not.toContain(secret);
  });
});

describe('discord config from the environment', () => {
  it('null when Discord is not configured at all', () => {
    expect(discordConfigFromEnv({})).toBeNull();
  });

  it('names the missing variable, never the values', () => {
    const secret = 'MTAx.secret-token-value';
    expect(() => discordConfigFromEnv({ DISCORD_TOKEN: secret })).toThrow(/DISCORD_APPLICATION_ID is not set/);
    try {
      discordConfigFromEnv({ DISCORD_TOKEN: secret, DISCORD_APPLICATION_ID: 'abc', DISCORD_API_URL: 'ftp://x' });
    } catch (err) {
      expect(err).toBeInstanceOf(DiscordConfigError);
      expect((err as Error).message).toMatch(/DISCORD_APPLICATION_ID must be the numeric/);
      expect((err as Error).message).toMatch(/DISCORD_API_URL/);
      expect((err as Error).message).not.toContain(secret);
    }
    expect(() => discordConfigFromEnv({ DISCORD_APPLICATION_ID: '123456789012345678' })).toThrow(/DISCORD_TOKEN is not set/);
    expect(() => discordConfigFromEnv({}, { required: true })).toThrow(/DISCORD_TOKEN is not set.*DISCORD_APPLICATION_ID is not set/);
  });

  it('defaults the REST base to https://discord.com/api', () => {
    expect(discordConfigFromEnv({ DISCORD_TOKEN: 't', DISCORD_APPLICATION_ID: '123456789012345678' })).toEqual({
      token: 't', applicationId: '123456789012345678', apiUrl: 'https://discord.com/api',
    });
  });

  it('`posture discord register` without configuration exits 2 naming the variables', async () => {
    const r = io({});
    expect(await runDiscordCli(['register'], r)).toBe(2);
    expect(r.err).toMatch(/DISCORD_TOKEN/);
    expect(await runDiscordCli(['register', '--guild', 'abc'], io({}))).toBe(2);
  });
});

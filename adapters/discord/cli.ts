/**
 * `posture discord register [--guild ID]` (CONTRACTS §1): the CLI wires `discord register` here.
 * Exit 0 registered (or already up to date), 2 bad usage or configuration, 1 Discord refused.
 */
import { parseArgs } from 'node:util';
import type { CliIo } from '../../src/cli/io.ts';
import { DiscordConfigError, discordConfigFromEnv } from './index.ts';
import { registerCommands } from './register.ts';

const USAGE = 'usage: posture discord register [--guild ID]\n' +
  '  registers /posture (guild: at once, for development; global: for production)\n' +
  '  needs DISCORD_TOKEN and DISCORD_APPLICATION_ID; DISCORD_API_URL optional\n';

/** argv: what follows `posture discord`. */
export async function runDiscordCli(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'register') {
    (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h' ? io.stdout : io.stderr).write(USAGE);
    return sub === undefined || sub === 'help' || sub === '--help' || sub === '-h' ? 0 : 2;
  }
  let values: { guild?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({ args: rest, strict: true, options: { guild: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    io.stderr.write(`posture: ${(err as Error).message.split('\n')[0]}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (values.guild !== undefined && !/^\d{15,25}$/.test(values.guild)) {
    io.stderr.write('posture: --guild takes the numeric server id (Developer Mode → right-click the server → Copy Server ID)\n');
    return 2;
  }
  let config;
  try {
    config = discordConfigFromEnv(io.env, { required: true })!;
  } catch (err) {
    io.stderr.write(`posture: ${err instanceof DiscordConfigError ? err.message : String(err)}\n`);
    return 2;
  }
  try {
    const r = await registerCommands({ ...config, ...(values.guild ? { guildId: values.guild } : {}) });
    const where = r.scope === 'guild' ? `in guild ${r.guildId}` : 'globally (may take a while to appear everywhere)';
    io.stdout.write(r.changed ? `Registered /${r.commands.join(', /')} ${where}.\n` : `/${r.commands.join(', /')} already up to date ${where}; nothing changed.\n`);
    return 0;
  } catch (err) {
    const status = (err as { status?: number }).status;
    const hint = status === 401 ? ' (check DISCORD_TOKEN)' : status === 403 || status === 404 ? ' (check DISCORD_APPLICATION_ID, and that the bot is in that guild)' : '';
    io.stderr.write(`posture: Discord refused the registration: ${(err as Error).message}${hint}\n`);
    return 1;
  }
}

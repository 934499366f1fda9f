/**
 * `posture discord register [--guild ID]`: register the application commands, idempotently.
 *
 * Discord's bulk overwrite (`PUT /applications/{app}[/guilds/{guild}]/commands`) replaces the
 * whole set and keeps the ids of commands whose name is unchanged, so running it twice is already
 * harmless; on top of that we read what is registered first and skip the PUT when it equals what
 * we would send (compared on the fields we set, with Discord's defaults filled in), so a second
 * run changes nothing at all and does not spend the command-create rate limit.
 * Guild commands (with `--guild`) appear at once: use them while developing. Global commands
 * may take a while to show everywhere. A guild copy and a global copy both show; remove one.
 */
import { REST, Routes } from 'discord.js';
import { postureCommandJSON } from './commands.ts';

export interface RegisterOptions {
  token: string;
  applicationId: string;
  /** REST base (default https://discord.com/api) */
  apiUrl?: string;
  /** register in this guild only (development) instead of globally */
  guildId?: string;
  /** for tests: a REST instance to use */
  rest?: REST;
}

export interface RegisterResult {
  scope: 'global' | 'guild';
  guildId?: string;
  /** false when what is registered already matched (no PUT was made) */
  changed: boolean;
  /** the registered command names */
  commands: string[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const OPTION_DEFAULTS: Record<string, Json> = { required: false, autocomplete: false };
const COMMAND_DEFAULTS: Record<string, Json> = { type: 1, nsfw: false, default_member_permissions: null };
/** fields Discord adds or we never set */
const IGNORED = new Set([
  'id', 'application_id', 'guild_id', 'version', 'dm_permission', 'name_localized', 'description_localized',
  'handler',
]);

function canon(value: unknown, defaults: Record<string, Json>): Json {
  if (Array.isArray(value)) return value.map((v) => canon(v, OPTION_DEFAULTS));
  if (value === undefined) return null;
  if (value === null || typeof value !== 'object') return value as Json;
  const out: Record<string, Json> = {};
  const src = { ...defaults, ...(value as Record<string, unknown>) };
  for (const key of Object.keys(src).sort()) {
    if (IGNORED.has(key)) continue;
    const v = src[key] === undefined ? defaults[key] : src[key];
    // absent and null mean the same (Discord echoes null where we sent nothing)
    if (v === undefined || v === null) continue;
    // localisations: {} means none too
    if (key.endsWith('_localizations') && typeof v === 'object' && Object.keys(v as object).length === 0) continue;
    if ((key === 'options' || key === 'choices') && Array.isArray(v) && v.length === 0) continue;
    out[key] = canon(v, OPTION_DEFAULTS);
  }
  return out;
}

/** The commands as Discord would hold them, comparable with `JSON.stringify`. */
export function canonicalCommands(commands: readonly unknown[]): string {
  const list = commands.map((c) => canon(c, COMMAND_DEFAULTS) as Record<string, Json>);
  list.sort((a, b) => String(a['name']).localeCompare(String(b['name'])));
  return JSON.stringify(list);
}

export async function registerCommands(options: RegisterOptions): Promise<RegisterResult> {
  const rest = options.rest ?? new REST({ api: options.apiUrl ?? 'https://discord.com/api' }).setToken(options.token);
  const route = options.guildId
    ? Routes.applicationGuildCommands(options.applicationId, options.guildId)
    : Routes.applicationCommands(options.applicationId);
  const desired = postureCommandJSON();
  const scope = options.guildId ? ({ scope: 'guild', guildId: options.guildId } as const) : ({ scope: 'global' } as const);
  const current = (await rest.get(route)) as unknown[];
  const names = desired.map((c) => c.name);
  if (canonicalCommands(current) === canonicalCommands(desired)) return { ...scope, changed: false, commands: names };
  await rest.put(route, { body: desired });
  return { ...scope, changed: true, commands: names };
}

/**
 * The `/posture` application command (CONTRACTS §5), built with discord.js builders. One
 * definition serves registration (`postureCommandJSON()`) and routing (`commandFromInteraction`
 * reads the same option names into a `BotCommand`; nothing is re-parsed from text).
 *
 *   /posture check domain:
 *   /posture explain topic: [domain:]            topic autocompletes over the knowledge base
 *   /posture watch domain:                       needs Manage Server (checked in code)
 *   /posture unwatch domain:                     domain autocompletes over the channel's list
 *   /posture watching
 *   /posture digest show | set weekday: time: [zone:] | now | off
 *   /posture help
 *
 * Permissions: Discord's `default_member_permissions` applies to a whole command, never to one
 * subcommand, and `/posture check` must stay open to everyone, so the command carries no
 * default permission; watch/unwatch/digest set/off are refused in code (the bot service) unless
 * the member has Manage Server. Guild admins can still restrict the whole command per channel
 * or role in Server Settings → Integrations.
 */
import {
  ApplicationIntegrationType,
  InteractionContextType,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
  type SlashCommandStringOption,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { normalizeDomain } from '../../src/checker/domain.ts';
import { isValidTimeZone, type BotCommand, type Weekday } from '../../src/bot/commands.ts';

export const COMMAND_NAME = 'posture';

export const WEEKDAY_CHOICES: readonly { name: string; value: string; weekday: Weekday }[] = [
  { name: 'Monday', value: 'mon', weekday: 1 },
  { name: 'Tuesday', value: 'tue', weekday: 2 },
  { name: 'Wednesday', value: 'wed', weekday: 3 },
  { name: 'Thursday', value: 'thu', weekday: 4 },
  { name: 'Friday', value: 'fri', weekday: 5 },
  { name: 'Saturday', value: 'sat', weekday: 6 },
  { name: 'Sunday', value: 'sun', weekday: 7 },
];

/** The subcommands that change a channel's watch list or schedule (Manage Server). */
export const MANAGE_SUBCOMMANDS: ReadonlySet<string> = new Set(['watch', 'unwatch', 'digest set', 'digest off']);

export function buildPostureCommand(): SlashCommandBuilder {
  const domain = (required: boolean, description: string, autocomplete = false) =>
    (o: SlashCommandStringOption) =>
      o.setName('domain').setDescription(description).setRequired(required).setMaxLength(253).setAutocomplete(autocomplete);

  const builder = new SlashCommandBuilder()
    .setName(COMMAND_NAME)
    .setDescription('Email-security posture: grade a domain, explain a control, watch domains weekly')
    .setContexts(InteractionContextType.Guild)
    .setIntegrationTypes(ApplicationIntegrationType.GuildInstall);

  builder
    .addSubcommand((s) => s.setName('check').setDescription('Posture card for a domain: grade, checks, worst problems and fixes')
      .addStringOption(domain(true, 'The domain to check, e.g. example.com')))
    .addSubcommand((s) => s.setName('explain').setDescription('What a control or finding means (and for a domain)')
      .addStringOption((o) => o.setName('topic').setDescription('A control (mta-sts, dmarc…), a finding code, or "grade"')
        .setRequired(true).setMaxLength(100).setAutocomplete(true))
      .addStringOption(domain(false, 'Explain it for this domain')))
    .addSubcommand((s) => s.setName('watch').setDescription('Watch a domain in this channel (weekly digest; needs Manage Server)')
      .addStringOption(domain(true, 'The domain to watch')))
    .addSubcommand((s) => s.setName('unwatch').setDescription('Stop watching a domain in this channel (needs Manage Server)')
      .addStringOption(domain(true, 'A domain this channel watches', true)))
    .addSubcommand((s) => s.setName('watching').setDescription("This channel's watched domains and their grades"))
    .addSubcommandGroup((g) => g.setName('digest').setDescription("This channel's weekly digest")
      .addSubcommand((s) => s.setName('show').setDescription('Show the weekly digest schedule'))
      .addSubcommand((s) => s.setName('set').setDescription('Set the weekly digest day and time (needs Manage Server)')
        .addStringOption((o) => o.setName('weekday').setDescription('Day of the week').setRequired(true)
          .addChoices(...WEEKDAY_CHOICES.map(({ name, value }) => ({ name, value }))))
        .addStringOption((o) => o.setName('time').setDescription('Local time, 24-hour HH:MM, e.g. 09:00').setRequired(true).setMaxLength(5))
        .addStringOption((o) => o.setName('zone').setDescription('IANA time zone, e.g. Europe/Berlin (default: the current one, else UTC)')
          .setRequired(false).setMaxLength(64).setAutocomplete(true)))
      .addSubcommand((s) => s.setName('now').setDescription('Post the digest now'))
      .addSubcommand((s) => s.setName('off').setDescription('Stop the weekly digest (needs Manage Server)')))
    .addSubcommand((s) => s.setName('help').setDescription('How to use /posture'));
  return builder;
}

/** What `posture discord register` PUTs: the one command, as JSON. */
export function postureCommandJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return [buildPostureCommand().toJSON()];
}

export type BuiltCommand = { ok: true; command: BotCommand; path: string } | { ok: false; error: string; path: string };

/** The subset of a chat-input interaction the router reads (tests can pass a plain object). */
export interface CommandOptionsLike {
  getSubcommandGroup(required?: boolean): string | null;
  getSubcommand(required?: boolean): string | null;
  getString(name: string, required?: boolean): string | null;
}

/** "digest set", "check", … */
export function subcommandPath(options: CommandOptionsLike): string {
  const group = options.getSubcommandGroup(false);
  const sub = options.getSubcommand(false) ?? '';
  return group ? `${group} ${sub}` : sub;
}

function domainsOf(raw: string, verb: string): { ok: true; domains: string[] } | { ok: false; error: string } {
  const out: string[] = [];
  for (const w of raw.split(/[\s,]+/).filter(Boolean)) {
    const n = normalizeDomain(w);
    if (!n.ok) return { ok: false, error: `${n.error}. Try: /posture ${verb} domain:example.com` };
    if (!out.includes(n.domain)) out.push(n.domain);
  }
  if (!out.length) return { ok: false, error: `Which domain? Try: /posture ${verb} domain:example.com` };
  return { ok: true, domains: out };
}

/** Typed options → BotCommand (or a usage error with a hint). */
export function commandFromOptions(options: CommandOptionsLike): BuiltCommand {
  const path = subcommandPath(options);
  const bad = (error: string): BuiltCommand => ({ ok: false, error, path });
  const ok = (command: BotCommand): BuiltCommand => ({ ok: true, command, path });
  switch (path) {
    case 'check': {
      const input = (options.getString('domain') ?? '').trim();
      const n = normalizeDomain(input);
      if (!n.ok) return bad(`${n.error}. Try: /posture check domain:example.com`);
      return ok({ kind: 'check', domain: n.domain, input });
    }
    case 'explain': {
      const topic = (options.getString('topic') ?? '').trim();
      if (!topic) return bad('Explain what? Try: /posture explain topic:mta-sts');
      const d = options.getString('domain')?.trim();
      if (d) {
        const n = normalizeDomain(d);
        if (!n.ok) return bad(`${n.error}. Try: /posture explain topic:${topic} domain:example.com`);
        return ok({ kind: 'explain', topic, domain: n.domain });
      }
      return ok({ kind: 'explain', topic });
    }
    case 'watch':
    case 'unwatch': {
      const d = domainsOf(options.getString('domain') ?? '', path);
      return d.ok ? ok({ kind: path, domains: d.domains }) : bad(d.error);
    }
    case 'watching':
      return ok({ kind: 'watching' });
    case 'digest show':
      return ok({ kind: 'digest-show' });
    case 'digest now':
      return ok({ kind: 'digest-now' });
    case 'digest off':
      return ok({ kind: 'digest-off' });
    case 'digest set': {
      const wd = WEEKDAY_CHOICES.find((c) => c.value === options.getString('weekday'));
      if (!wd) return bad('Pick a weekday from the list. Try: /posture digest set weekday:Monday time:09:00');
      const time = (options.getString('time') ?? '').trim();
      const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(time);
      if (!m) return bad(`"${time}" is not a time of day (HH:MM, 24-hour). Try: /posture digest set weekday:${wd.name} time:09:00`);
      const zone = options.getString('zone')?.trim();
      if (zone && !isValidTimeZone(zone)) return bad(`"${zone}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)`);
      const hhmm = `${m[1]!.padStart(2, '0')}:${m[2]}`;
      return ok({ kind: 'digest-set', weekday: wd.weekday, time: hhmm, ...(zone ? { timeZone: zone } : {}) });
    }
    case 'help':
      return ok({ kind: 'help' });
    default:
      return bad('I do not know that subcommand. Try: /posture help');
  }
}

export function commandFromInteraction(interaction: ChatInputCommandInteraction): BuiltCommand {
  return commandFromOptions(interaction.options);
}

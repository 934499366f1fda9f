/**
 * The chat command grammar (CONTRACTS §5), shared by Slack (`/posture …`, mentions,
 * DMs) and Discord (subcommands arrive already split; see `fromParts`).
 * Text in, a typed command out — or a usage error that says what to type instead.
 */
import { normalizeDomain } from '../checker/domain.ts';
import { parseExplainRequest } from '../explain/index.ts';

export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7; // ISO 8601: Monday = 1

export type BotCommand =
  | { kind: 'check'; domain: string; input: string }
  | { kind: 'explain'; topic: string; domain?: string }
  | { kind: 'watch'; domains: string[] }
  | { kind: 'unwatch'; domains: string[] }
  | { kind: 'watching' }
  | { kind: 'digest-show' }
  | { kind: 'digest-set'; weekday: Weekday; time: string; timeZone?: string }
  | { kind: 'digest-now' }
  | { kind: 'digest-off' }
  | { kind: 'help' };

export type ParseResult = { ok: true; command: BotCommand } | { ok: false; error: string };

const WEEKDAYS: Record<string, Weekday> = {
  mon: 1, monday: 1, tue: 2, tues: 2, tuesday: 2, wed: 3, wednesday: 3, thu: 4, thur: 4, thurs: 4, thursday: 4,
  fri: 5, friday: 5, sat: 6, saturday: 6, sun: 7, sunday: 7,
};

export const WEEKDAY_NAMES: Record<Weekday, string> = {
  1: 'Monday', 2: 'Tuesday', 3: 'Wednesday', 4: 'Thursday', 5: 'Friday', 6: 'Saturday', 7: 'Sunday',
};

/** Slack wraps links and addresses typed in a message: `<http://example.com|example.com>`, `<mailto:a@b|a@b>`. */
export function unwrapSlackLinks(text: string): string {
  return text.replace(/<([^<>|]+)\|([^<>]+)>/g, '$2').replace(/<((?:https?|mailto):[^<>]+)>/g, '$1');
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function domainsFrom(words: string[], verb: string): { ok: true; domains: string[] } | { ok: false; error: string } {
  if (!words.length) return { ok: false, error: `Which domain? Try: /posture ${verb} example.com` };
  const out: string[] = [];
  for (const w of words.flatMap((x) => x.split(',')).filter(Boolean)) {
    const n = normalizeDomain(w);
    if (!n.ok) return { ok: false, error: `${n.error}. Try: /posture ${verb} example.com` };
    if (!out.includes(n.domain)) out.push(n.domain);
  }
  return { ok: true, domains: out };
}

function parseDigest(words: string[]): ParseResult {
  const [first, ...rest] = words;
  if (first === undefined) return { ok: true, command: { kind: 'digest-show' } };
  const f = first.toLowerCase();
  if (f === 'now') return rest.length ? usage('digest now takes nothing more') : { ok: true, command: { kind: 'digest-now' } };
  if (f === 'off' || f === 'stop') return rest.length ? usage('digest off takes nothing more') : { ok: true, command: { kind: 'digest-off' } };
  const weekday = WEEKDAYS[f.replace(/[.,]$/, '')];
  if (!weekday) return usage(`"${first}" is not a weekday. Try: /posture digest mon 09:00 Europe/Berlin`);
  const [time, zone, ...extra] = rest;
  if (!time) return usage('Give a time too. Try: /posture digest mon 09:00 Europe/Berlin');
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!m) return usage(`"${time}" is not a time of day (HH:MM, 24-hour). Try: /posture digest ${f} 09:00`);
  if (extra.length) return usage('Too many words. Try: /posture digest mon 09:00 Europe/Berlin');
  if (zone !== undefined && !isValidTimeZone(zone)) {
    return usage(`"${zone}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)`);
  }
  const hhmm = `${m[1]!.padStart(2, '0')}:${m[2]}`;
  return { ok: true, command: { kind: 'digest-set', weekday, time: hhmm, ...(zone ? { timeZone: zone } : {}) } };
}

function usage(error: string): ParseResult {
  return { ok: false, error };
}

/** Parse what follows `/posture` (or a mention of the bot). */
export function parseCommand(raw: string): ParseResult {
  const text = unwrapSlackLinks(raw).trim();
  const words = text.split(/\s+/).filter(Boolean);
  const [first, ...rest] = words;
  if (first === undefined) return { ok: true, command: { kind: 'help' } };
  const verb = first.toLowerCase();
  switch (verb) {
    case 'help':
    case '?':
      return { ok: true, command: { kind: 'help' } };
    case 'check': {
      if (rest.length !== 1) return usage('Give one domain. Try: /posture check example.com');
      return checkOf(rest[0]!);
    }
    case 'explain':
    case 'what':
    case 'whats':
    case "what's": {
      const req = parseExplainRequest(verb === 'explain' ? rest.join(' ') : text);
      if (!req.topic) return usage('Explain what? Try: /posture explain mta-sts');
      return { ok: true, command: { kind: 'explain', topic: req.topic, ...(req.domain ? { domain: req.domain } : {}) } };
    }
    case 'watch':
    case 'unwatch': {
      const d = domainsFrom(rest, verb);
      if (!d.ok) return d;
      return { ok: true, command: { kind: verb, domains: d.domains } };
    }
    case 'watching':
    case 'list':
      return rest.length ? usage('watching takes nothing more. Try: /posture watching') : { ok: true, command: { kind: 'watching' } };
    case 'digest':
      return parseDigest(rest);
    default:
      if (words.length === 1) return checkOf(first);
      return usage(`I don't know "${first}". Try: /posture example.com, /posture explain mta-sts, or /posture help`);
  }
}

function checkOf(input: string): ParseResult {
  const n = normalizeDomain(input);
  if (!n.ok) return usage(`${n.error}. Try: /posture example.com`);
  return { ok: true, command: { kind: 'check', domain: n.domain, input } };
}

export const HELP_LINES = [
  '/posture example.com — posture card for a domain (grade, checks, worst problems and fixes)',
  '/posture explain mta-sts [for example.com] — what a control or finding means (and for that domain)',
  '/posture watch example.com · unwatch example.com · watching — this channel\'s watched domains',
  '/posture digest — show the weekly digest schedule; digest mon 09:00 Europe/Berlin — set it',
  '/posture digest now — post the digest now; digest off — stop it',
  '/posture help — this help',
];

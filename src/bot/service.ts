/**
 * The platform-neutral chat layer: a parsed command and who asked, in; a reply
 * model out. Adapters (Slack, Discord) only translate payloads into `handle()`
 * calls and render the replies — every business rule lives here or below.
 */
import type { Report } from '../checker/types.ts';
import { buildCard, type PostureCard } from './card.ts';
import { HELP_LINES, WEEKDAY_NAMES, parseCommand, type BotCommand } from './commands.ts';
import { RateLimiter, type RateRule } from './rate-limit.ts';
import { explain, type ExplainResult } from '../explain/index.ts';
import { buildPlan, type PlanStep } from '../checker/plan/index.ts';
import type { ChannelRef, Schedule, Store } from '../store/types.ts';
import { StoreError, WatchLimitError, WATCH_LIMIT } from '../store/types.ts';

export type Visibility = 'channel' | 'ephemeral';

export type Reply =
  | { kind: 'card'; visibility: 'channel'; card: PostureCard; report: Report }
  | { kind: 'explanation'; visibility: Visibility; result: ExplainResult }
  | { kind: 'plan'; visibility: Visibility; domain: string; grade: string; steps: PlanStep[] }
  | { kind: 'watching'; visibility: Visibility; channel: ChannelRef; domains: WatchedDomain[]; limit: number }
  | { kind: 'schedule'; visibility: Visibility; schedule: Schedule | null; text: string }
  | { kind: 'notice'; visibility: Visibility; text: string }
  | { kind: 'error'; visibility: 'ephemeral'; text: string }
  | { kind: 'help'; visibility: 'ephemeral'; lines: string[] };

export interface WatchedDomain {
  domain: string;
  grade: string | null;
  score: number | null;
  checkedAt: string | null;
}

export interface Requester {
  channel: ChannelRef;
  userId: string;
  /** the workspace's IANA zone when the platform tells us (default for new schedules) */
  timeZone?: string | null;
  /** may this person change the channel's watch list and schedule? (Discord: Manage Server) */
  canManage?: boolean;
}

export interface DigestNowResult {
  posted: boolean;
  /** why nothing was posted (e.g. nothing watched) */
  reason?: string;
}

export interface BotDeps {
  store: Store;
  /** check one normalised domain (shared cache and probes live behind this) */
  check(domain: string, input: string): Promise<Report>;
  /** post this channel's digest now (through the platform's delivery port) */
  digestNow?(channel: ChannelRef): Promise<DigestNowResult>;
  /** the next planned run of a schedule, for display */
  nextRun?(schedule: Schedule, after: Date): Date;
  now?: () => number;
  limits?: { perUser?: RateRule; perChannel?: RateRule; perWorkspace?: RateRule };
}

export const DEFAULT_LIMITS = {
  perUser: { label: 'you', limit: 10, windowMs: 60_000 },
  perChannel: { label: 'this channel', limit: 30, windowMs: 60_000 },
  perWorkspace: { label: 'this workspace', limit: 60, windowMs: 60_000 },
} satisfies Record<string, RateRule>;

const MANAGE_ONLY: ReadonlySet<BotCommand['kind']> = new Set(['watch', 'unwatch', 'digest-set', 'digest-off']);

export interface Bot {
  /** parse text typed after `/posture` (or in a mention / DM) and handle it */
  handleText(text: string, who: Requester): Promise<Reply>;
  handle(command: BotCommand, who: Requester): Promise<Reply>;
  /** a check for a button press ("Re-check") or a card request: rate-limited, de-duplicated */
  card(domain: string, who: Requester, input?: string): Promise<Reply>;
  plan(domain: string, who: Requester): Promise<Reply>;
}

export function createBot(deps: BotDeps): Bot {
  const now = deps.now ?? Date.now;
  const limiter = new RateLimiter(now);
  const perUser = deps.limits?.perUser ?? DEFAULT_LIMITS.perUser;
  const perChannel = deps.limits?.perChannel ?? DEFAULT_LIMITS.perChannel;
  const perWorkspace = deps.limits?.perWorkspace ?? DEFAULT_LIMITS.perWorkspace;
  // concurrent identical checks share one run
  const inflight = new Map<string, Promise<Report>>();

  function checkOnce(domain: string, input: string): Promise<Report> {
    let p = inflight.get(domain);
    if (!p) {
      p = deps.check(domain, input).finally(() => inflight.delete(domain));
      inflight.set(domain, p);
    }
    return p;
  }

  function limited(who: Requester): Reply | null {
    const ws = `${who.channel.platform}:${who.channel.workspaceId}`;
    const d = limiter.take([
      { key: `user:${ws}:${who.userId}`, rule: perUser },
      { key: `channel:${ws}:${who.channel.channelId}`, rule: perChannel },
      { key: `ws:${ws}`, rule: perWorkspace },
    ]);
    if (d.allowed) return null;
    const secs = Math.max(1, Math.ceil(d.retryAfterMs / 1000));
    const who_ = d.rule?.label === 'you' ? 'You have' : `${capitalise(d.rule?.label ?? 'this workspace')} has`;
    return error(`${who_} asked for ${d.rule?.limit} checks in the last minute, which is the limit. Try again in ${secs} s.`);
  }

  async function card(domain: string, who: Requester, input = domain): Promise<Reply> {
    const refused = limited(who);
    if (refused) return refused;
    const report = await checkOnce(domain, input);
    await deps.store.saveReport(report).catch(() => undefined); // history is a bonus, never a reason to fail a card
    return { kind: 'card', visibility: 'channel', card: buildCard(report), report };
  }

  async function plan(domain: string, who: Requester): Promise<Reply> {
    const latest = await deps.store.latestReport(domain);
    let report = latest;
    if (!report) {
      const refused = limited(who);
      if (refused) return refused;
      report = await checkOnce(domain, domain);
      await deps.store.saveReport(report).catch(() => undefined);
    }
    return { kind: 'plan', visibility: 'ephemeral', domain, grade: report.grade, steps: buildPlan(report) };
  }

  async function handle(command: BotCommand, who: Requester): Promise<Reply> {
    if (MANAGE_ONLY.has(command.kind) && who.canManage === false) {
      return error('Changing what this channel watches, or its digest, needs the Manage Server permission.');
    }
    switch (command.kind) {
      case 'help':
        return { kind: 'help', visibility: 'ephemeral', lines: HELP_LINES };
      case 'check':
        return card(command.domain, who, command.input);
      case 'explain': {
        let report: Report | undefined;
        if (command.domain) {
          const r = await card(command.domain, who);
          if (r.kind === 'error') return r;
          if (r.kind === 'card') report = r.report;
        }
        const result = explain(command.topic, report);
        if (result.kind === 'not_found') {
          const hint = result.suggestions.length ? ` Did you mean ${result.suggestions.slice(0, 3).join(', ')}?` : '';
          return error(`I have no explanation for "${command.topic}".${hint} Try: /posture explain mta-sts`);
        }
        return { kind: 'explanation', visibility: 'channel', result };
      }
      case 'watch':
        return watch(command.domains, who);
      case 'unwatch': {
        const removed: string[] = [];
        const absent: string[] = [];
        for (const d of command.domains) ((await deps.store.unwatch(who.channel, d)).removed ? removed : absent).push(d);
        const parts = [];
        if (removed.length) parts.push(`This channel no longer watches ${list(removed)}.`);
        if (absent.length) parts.push(`${list(absent)} ${absent.length === 1 ? 'was' : 'were'} not watched here.`);
        return notice(parts.join(' '), removed.length ? 'channel' : 'ephemeral');
      }
      case 'watching':
        return watching(who.channel);
      case 'digest-show': {
        const schedule = await deps.store.getSchedule(who.channel);
        return { kind: 'schedule', visibility: 'ephemeral', schedule, text: describeSchedule(schedule, deps, now()) };
      }
      case 'digest-set': {
        const schedule = await deps.store.setSchedule(who.channel, {
          weekday: command.weekday,
          time: command.time,
          timeZone: command.timeZone ?? (await deps.store.getSchedule(who.channel))?.timeZone ?? who.timeZone ?? 'UTC',
          enabled: true,
        });
        return { kind: 'schedule', visibility: 'channel', schedule, text: `Weekly digest set. ${describeSchedule(schedule, deps, now())}` };
      }
      case 'digest-off': {
        const existing = await deps.store.getSchedule(who.channel);
        if (!existing || !existing.enabled) return notice('This channel has no weekly digest to stop.', 'ephemeral');
        await deps.store.setSchedule(who.channel, { enabled: false });
        return notice('Weekly digest stopped for this channel. Turn it back on with /posture digest mon 09:00.', 'channel');
      }
      case 'digest-now': {
        if (!deps.digestNow) return error('Digests are not available in this deployment.');
        const list_ = await deps.store.watchList(who.channel);
        if (!list_.length) return error('This channel watches no domains yet. Try: /posture watch example.com');
        const r = await deps.digestNow(who.channel);
        return r.posted ? notice(`Digest for ${list_.length} domain${list_.length === 1 ? '' : 's'} posted.`, 'ephemeral') : error(`No digest was posted: ${r.reason ?? 'unknown reason'}.`);
      }
    }
  }

  async function watch(domains: string[], who: Requester): Promise<Reply> {
    const added: string[] = [];
    const already: string[] = [];
    try {
      for (const d of domains) ((await deps.store.watch(who.channel, d, { addedBy: who.userId })).added ? added : already).push(d);
    } catch (err) {
      if (err instanceof WatchLimitError) {
        const done = added.length ? ` Added ${list(added)} before reaching it.` : '';
        return error(`This channel already watches ${WATCH_LIMIT} domains, the limit.${done} Unwatch one first: /posture unwatch example.com`);
      }
      if (err instanceof StoreError) return error(err.message);
      throw err;
    }
    // watching starts the weekly digest (Monday 09:00 in the workspace's zone) unless one is set
    let schedule = await deps.store.getSchedule(who.channel);
    if (!schedule) schedule = await deps.store.setSchedule(who.channel, { timeZone: who.timeZone ?? 'UTC' });
    const parts = [];
    if (added.length) parts.push(`This channel now watches ${list(added)}.`);
    if (already.length) parts.push(`${list(already)} ${already.length === 1 ? 'was' : 'were'} already watched.`);
    if (added.length && schedule.enabled) parts.push(describeSchedule(schedule, deps, now()));
    return notice(parts.join(' '), added.length ? 'channel' : 'ephemeral');
  }

  async function watching(channel: ChannelRef): Promise<Reply> {
    const entries = await deps.store.watchList(channel);
    const domains = await Promise.all(
      entries.map(async (e): Promise<WatchedDomain> => {
        const r = await deps.store.latestReport(e.domain);
        return { domain: e.domain, grade: r?.grade ?? null, score: r?.score ?? null, checkedAt: r?.checkedAt ?? null };
      }),
    );
    return { kind: 'watching', visibility: 'ephemeral', channel, domains, limit: WATCH_LIMIT };
  }

  return {
    handleText(text, who) {
      const parsed = parseCommand(text);
      if (!parsed.ok) return Promise.resolve(error(parsed.error));
      return handle(parsed.command, who);
    },
    handle,
    card,
    plan,
  };
}

function describeSchedule(schedule: Schedule | null, deps: BotDeps, nowMs: number): string {
  if (!schedule) return 'This channel has no weekly digest. Watch a domain (/posture watch example.com) or set one: /posture digest mon 09:00 Europe/Berlin';
  if (!schedule.enabled) {
    const why = schedule.disabledReason ? ` (stopped: ${schedule.disabledReason})` : '';
    return `The weekly digest is off${why}. Turn it on with /posture digest ${WEEKDAY_NAMES[schedule.weekday].slice(0, 3).toLowerCase()} ${schedule.time}.`;
  }
  const when = `${WEEKDAY_NAMES[schedule.weekday]}s at ${schedule.time} (${schedule.timeZone})`;
  const next = deps.nextRun ? deps.nextRun(schedule, new Date(nowMs)) : null;
  return `The digest is posted ${when}${next ? `; next: ${next.toISOString().replace(/:\d\d\.\d+Z$/, ' UTC').replace('T', ' ')}` : ''}.`;
}

function list(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function notice(text: string, visibility: Visibility): Reply {
  return { kind: 'notice', visibility, text };
}

function error(text: string): Reply {
  return { kind: 'error', visibility: 'ephemeral', text };
}

/**
 * The bot under load: 100 `/posture <domain>` slash commands sent at once,
 * signed, to the real Bolt app's HTTP receiver, across 10 workspaces (an OAuth
 * install each), 20 channels and 50 users, over 30 distinct domains (so several
 * commands share a domain). Measured per command, on this process's clock:
 * the time to the HTTP ack (the receiver's 200) and the time until the card
 * reaches the command's `response_url` on the fake Slack. The bot process counts
 * the checks actually started per domain (the bot's `check` dependency wrapped),
 * which shows the bot's in-flight de-duplication.
 *
 * Processes: the fixture world (bulk fixture, 20 ms injected DNS delay) in its
 * own process, the bot (Bolt app, bot service, checker, SQLite store) in another
 * (bot-load-worker.ts), and this process: the load generator and the fake Slack
 * (Web API + response_url). Every process installs the loopback guard.
 *
 * The bot's rate limits (per user 10, per channel 30, per workspace 60 a minute)
 * stay as deployed; the load is spread so that none should refuse, and any
 * refusal is counted separately (it is an answer, but not a card).
 * Prints figures; asserts nothing.
 */
import { fork } from 'node:child_process';
import { startFakeSlack, sendSlashCommand, type FakeSlack, type ResponseUrlPost } from '../test/world/slack-fake.ts';
import type { BotLoadConfig, BotLoadReply, BotLoadStats } from './bot-load-worker.ts';
import type { BulkKind } from './fixtures/bulk.ts';
import { guardLoopback } from './lib/guard.ts';
import { fmt, percentile, table } from './lib/stats.ts';
import { startWorldProcess } from './world/remote.ts';

export interface BotLoadOptions {
  commands: number;
  workspaces: number;
  channelsPerWorkspace: number;
  usersPerWorkspace: number;
  domains: number;
  delayMs: number;
  smtp: boolean;
  /** how long to wait for a card before counting it as not delivered */
  cardTimeoutMs: number;
}

const DEFAULTS: BotLoadOptions = {
  commands: 100, workspaces: 10, channelsPerWorkspace: 2, usersPerWorkspace: 5, domains: 30, delayMs: 20, smtp: true, cardTimeoutMs: 30_000,
};
const SECRET = 'bench-signing-secret-0123456789';
const ACK_LIMIT_MS = 3000;

interface BotProcess {
  endpoint: string;
  stats(reset?: boolean): Promise<BotLoadStats>;
  stop(): Promise<void>;
}

function startBotProcess(config: BotLoadConfig): Promise<BotProcess> {
  const child = fork(new URL('./bot-load-worker.ts', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let waiting: ((m: BotLoadReply) => void) | undefined;
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bot process exited (${code}) before it was ready`)));
    child.on('message', (raw) => {
      const m = raw as BotLoadReply;
      if (m.type === 'error') return reject(new Error(m.error));
      if (m.type === 'ready') {
        child.removeAllListeners('exit');
        return resolve({
          endpoint: m.endpoint,
          stats: (reset = false) =>
            new Promise<BotLoadStats>((res) => {
              waiting = (r) => {
                if (r.type === 'stats') res(r.stats);
              };
              child.send({ type: 'stats', reset });
            }),
          stop: () =>
            new Promise<void>((res) => {
              child.once('exit', () => res());
              child.send({ type: 'stop' });
            }),
        });
      }
      waiting?.(m);
    });
    child.send(config);
  });
}

interface Command {
  i: number;
  domain: string;
  team: string;
  channel: string;
  user: string;
  responseId: string;
}

interface Outcome {
  command: Command;
  ackStatus: number;
  ackMs: number;
  /** time to the card on response_url (undefined: none within the timeout) */
  cardMs: number | undefined;
  placeholder: boolean;
  refusal: string | null;
  /** an answer that was neither a card nor a rate-limit refusal */
  other: string | null;
}

const isPlaceholder = (r: ResponseUrlPost): boolean => String(r.body['text'] ?? '').startsWith('Checking ');
const isCard = (r: ResponseUrlPost): boolean => r.body['response_type'] === 'in_channel' && !isPlaceholder(r) && /: grade /.test(String(r.body['text'] ?? ''));

/** The first response to `id` that ends the command (card, refusal or anything else but the placeholder). */
function finalResponse(fake: FakeSlack, id: string): Promise<ResponseUrlPost | null> {
  let index = 0;
  return fake.waitFor(() => {
    const all = fake.responses;
    for (; index < all.length; index++) {
      const r = all[index]!;
      if (r.id === id && !isPlaceholder(r)) return r;
    }
    return undefined;
  });
}

async function sendOne(fake: FakeSlack, endpoint: string, c: Command, t0: number, timeoutMs: number): Promise<Outcome> {
  const answered = finalResponse(fake, c.responseId).then((r) => ({ r, at: performance.now() }));
  const ack = await sendSlashCommand(endpoint, SECRET, {
    text: c.domain, response_url: fake.responseUrl(c.responseId), team_id: c.team, team_domain: c.team.toLowerCase(), channel_id: c.channel, user_id: c.user,
  });
  const ackMs = performance.now() - t0;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ r: null; at: number }>((resolve) => {
    timer = setTimeout(() => resolve({ r: null, at: Number.NaN }), timeoutMs);
  });
  const { r, at } = await Promise.race([answered, timeout]);
  clearTimeout(timer);
  const placeholder = fake.responsesTo(c.responseId).some(isPlaceholder);
  const text = String(r?.body['text'] ?? '');
  const card = r !== null && isCard(r);
  const refusal = r !== null && !card && /which is the limit/.test(text) ? text : null;
  return {
    command: c, ackStatus: ack.status, ackMs, cardMs: card ? at - t0 : undefined, placeholder, refusal,
    other: r !== null && !card && !refusal ? text.slice(0, 120) : r === null ? 'no answer within the timeout' : null,
  };
}

/** 30 domains of the bulk world, every kind represented (round-robin over kinds, in the world's order). */
function pickDomains(all: ReadonlyArray<{ domain: string; kind: BulkKind }>, n: number): Array<{ domain: string; kind: BulkKind }> {
  const byKind = new Map<BulkKind, Array<{ domain: string; kind: BulkKind }>>();
  for (const d of all) byKind.set(d.kind, [...(byKind.get(d.kind) ?? []), d]);
  // proportional to the mix, at least one of each kind
  const out: Array<{ domain: string; kind: BulkKind }> = [];
  for (const [, list] of byKind) out.push(list[0]!);
  for (const d of all) {
    if (out.length >= n) break;
    if (!out.includes(d)) out.push(d);
  }
  return out.slice(0, n);
}

const ms = (v: number | undefined): string => (v === undefined ? '-' : fmt.ms(v));

export async function runBotLoadBench(options: Partial<BotLoadOptions> = {}): Promise<void> {
  const o = { ...DEFAULTS, ...options };
  guardLoopback();
  const world = await startWorldProcess({ fixture: 'bulk', n: 200, seed: 7 });
  const fake = await startFakeSlack();
  let bot: BotProcess | undefined;
  try {
    await world.setDelay(o.delayMs);
    const teams = Array.from({ length: o.workspaces }, (_, i) => ({ teamId: `T0LOAD${String(i).padStart(2, '0')}`, botToken: `xoxb-load-${i}` }));
    bot = await startBotProcess({
      world: { resolver: world.resolver, connectTo: world.connectTo, caPem: world.caPem },
      apiUrl: fake.apiUrl, signingSecret: SECRET, teams, smtp: o.smtp,
    });
    const picked = pickDomains(world.domains, o.domains);
    const warmDomain = world.domains.find((d) => d.kind === 'alpha' && !picked.some((p) => p.domain === d.domain))!.domain;

    // warm-up: one command from a workspace outside the measured set (JIT, first SQLite writes, TLS paths)
    const warmUp: Command = { i: -1, domain: warmDomain, team: teams[0]!.teamId, channel: 'C0WARMUP', user: 'U0WARMUP', responseId: 'warm-up' };
    const warm = await sendOne(fake, bot.endpoint, warmUp, performance.now(), o.cardTimeoutMs);
    const before = await bot.stats(true);

    // command i: workspace i mod W, one of its channels, one of its users, domain i mod D
    const commands: Command[] = Array.from({ length: o.commands }, (_, i) => {
      const w = i % o.workspaces;
      const k = Math.floor(i / o.workspaces);
      return {
        i,
        domain: picked[i % picked.length]!.domain,
        team: teams[w]!.teamId,
        channel: `C${w}X${k % o.channelsPerWorkspace}`,
        user: `U${w}X${k % o.usersPerWorkspace}`,
        responseId: `load-${i}`,
      };
    });
    const t0 = performance.now();
    const outcomes = await Promise.all(commands.map((c) => sendOne(fake, bot!.endpoint, c, t0, o.cardTimeoutMs)));
    const wallMs = performance.now() - t0;
    const after = await bot.stats();

    const acks = outcomes.map((x) => x.ackMs);
    const cards = outcomes.flatMap((x) => (x.cardMs === undefined ? [] : [x.cardMs]));
    const refusals = outcomes.filter((x) => x.refusal);
    const others = outcomes.filter((x) => x.other);
    const startedTotal = Object.values(after.started).reduce((a, b) => a + b, 0);
    const distinct = new Set(commands.map((c) => c.domain)).size;
    const extra = Object.entries(after.started).filter(([, k]) => k > 1);
    const kinds = new Map<string, number>();
    for (const p of picked) kinds.set(p.kind, (kinds.get(p.kind) ?? 0) + 1);

    console.log(`\n## Bot under load: ${o.commands} concurrent /posture commands, real Bolt app (HTTP receiver, OAuth mode), ${o.delayMs} ms injected DNS delay, SMTP ${o.smtp ? 'on' : 'off'}`);
    console.log(`${o.workspaces} workspaces × ${o.channelsPerWorkspace} channels, ${o.workspaces * o.usersPerWorkspace} users; ${distinct} distinct domains ` +
      `(${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}), ${fmt.n(o.commands / distinct, 1)} commands per domain; ` +
      `bot, world and load generator + fake Slack in three processes; warm-up: 1 command (ack ${ms(warm.ackMs)} ms, card ${ms(warm.cardMs)} ms)\n`);
    console.log(table(
      ['', 'p50 ms', 'p95 ms', 'max ms', 'within 3 s', 'of'],
      [
        ['HTTP ack (200)', fmt.ms(percentile(acks, 50)), fmt.ms(percentile(acks, 95)), fmt.ms(Math.max(...acks)), String(acks.filter((a, i) => a <= ACK_LIMIT_MS && outcomes[i]!.ackStatus === 200).length), String(o.commands)],
        ['card on response_url', fmt.ms(percentile(cards, 50)), fmt.ms(percentile(cards, 95)), cards.length ? fmt.ms(Math.max(...cards)) : '-', String(cards.filter((c) => c <= ACK_LIMIT_MS).length), String(o.commands)],
      ],
    ));
    console.log('');
    console.log(table(
      ['cards delivered', 'refused (rate limit)', 'other answers', 'placeholders shown', 'checks started', 'distinct domains', 'max same-domain checks in flight', 'max checks in flight', 'check p50 ms', 'check max ms'],
      [[
        `${cards.length} / ${o.commands}`, String(refusals.length), String(others.length), String(outcomes.filter((x) => x.placeholder).length),
        String(startedTotal), String(distinct), String(after.maxInflightPerDomain), String(after.maxInflight),
        fmt.ms(percentile(after.checkMs, 50)), after.checkMs.length ? fmt.ms(Math.max(...after.checkMs)) : '-',
      ]],
    ));
    console.log('');
    console.log(table(
      ['wall s', 'bot CPU s', 'bot peak RSS', 'bot ELD p99 ms', 'bot ELD max ms', 'DNS q', 'wire q', 'probes', 'HTTP status ≠ 200'],
      [[
        fmt.n(wallMs / 1000, 2), fmt.n((after.cpuUserMs + after.cpuSystemMs) / 1000, 2), fmt.mib(after.maxRssBytes), fmt.n(after.eldMs.p99, 1), fmt.n(after.eldMs.max, 0),
        String(after.uniqueQueries - before.uniqueQueries), String(after.wireQueries - before.wireQueries), String(after.probes - before.probes),
        String(outcomes.filter((x) => x.ackStatus !== 200).length),
      ]],
    ));
    if (extra.length) {
      const most = Math.max(...extra.map(([, k]) => k));
      console.log(`  ${extra.length} of ${distinct} domains were checked more than once (up to ${most}×), never twice at the same time: a command ` +
        `that reaches the bot after its domain's check has finished starts a new one (the bot de-duplicates checks in flight only)`);
    }
    for (const x of others.slice(0, 5)) console.log(`  other answer to command ${x.command.i} (${x.command.domain}): ${x.other}`);
    for (const x of refusals.slice(0, 3)) console.log(`  refused command ${x.command.i} (${x.command.team}/${x.command.channel}/${x.command.user}): ${x.refusal}`);
    for (const l of after.errorLogs.slice(0, 5)) console.log(`  bot log: ${l.slice(0, 200)}`);
    if (after.refused.length) console.log(`  LOOPBACK GUARD REFUSED ${after.refused.length}: ${[...new Set(after.refused)].join(', ')}`);
    console.log('  ack = signed POST sent → the receiver\'s HTTP 200; card = same start → the card\'s POST to response_url recorded by the fake;');
    console.log('  checks started = calls of the bot\'s check dependency; ELD = bot event-loop delay beyond the 10 ms sampling interval.');
  } finally {
    await bot?.stop();
    await fake.close();
    await world.stop();
  }
}

if (import.meta.main) await runBotLoadBench();

/** Test doubles for the digest scheduler and runner: a fake chat platform, a recording port, fake checks. */
import type { FindingCode } from '../../src/checker/findings.ts';
import type { Grade, Report } from '../../src/checker/types.ts';
import { ManualClock } from '../../src/digest/clock.ts';
import type { DeliverOptions, DeliveryPort, MessageKind } from '../../src/digest/delivery.ts';
import { DeliveryError } from '../../src/digest/delivery.ts';
import type { Digest } from '../../src/digest/model.ts';
import { openStore } from '../../src/store/index.ts';
import type { ChannelRef, Platform, Store } from '../../src/store/types.ts';
import { makeReport } from '../store/fixtures.ts';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const WEEK = 7 * DAY;

export interface PostedMessage {
  id: string;
  channel: ChannelRef;
  digest: Digest;
  kind: MessageKind;
  idempotencyKey: string;
  at: Date;
}

/** The platform's side: the messages that really are in the channels (survives a "restart"). */
export class FakeChat {
  readonly messages: PostedMessage[] = [];
  private seq = 0;
  readonly clock: ManualClock;
  constructor(clock: ManualClock) {
    this.clock = clock;
  }
  post(channel: ChannelRef, digest: Digest, options: DeliverOptions): PostedMessage {
    const m: PostedMessage = {
      id: `M${++this.seq}`, channel, digest, kind: options.kind, idempotencyKey: options.idempotencyKey, at: this.clock.now(),
    };
    this.messages.push(m);
    return m;
  }
}

/** What the next `deliver` call does. */
export type Step =
  | 'ok'
  /** post, then never return: the process "dies" between the post and markDelivered */
  | 'post-and-hang'
  /** never return without posting: the process "dies" before the request left */
  | 'hang'
  /** post, then throw a non-DeliveryError (timeout after the request was sent) */
  | 'post-and-throw'
  | DeliveryError;

export interface RecordingPortOptions {
  /** expose `findDelivered` (looks the idempotency key up in the fake chat) */
  reconcile?: boolean;
}

/** A DeliveryPort over a {@link FakeChat} that follows a script of outcomes (then "ok"). */
export class RecordingPort implements DeliveryPort {
  readonly platform: Platform;
  readonly chat: FakeChat;
  /** every deliver call, posted or not */
  readonly attempts: { at: Date; idempotencyKey: string; kind: MessageKind }[] = [];
  readonly lookups: string[] = [];
  private readonly script: Step[] = [];
  findDelivered?: (channel: ChannelRef, idempotencyKey: string) => Promise<string | null>;
  /** resolves when a 'post-and-hang' / 'hang' step has been reached */
  hung: Promise<void>;
  private markHung!: () => void;

  constructor(chat: FakeChat, platform: Platform = 'slack', options: RecordingPortOptions = {}) {
    this.chat = chat;
    this.platform = platform;
    this.hung = new Promise((r) => (this.markHung = r));
    if (options.reconcile) {
      this.findDelivered = async (channel, key) => {
        this.lookups.push(key);
        const m = chat.messages.find((x) => x.idempotencyKey === key && sameChannel(x.channel, channel));
        return m ? m.id : null;
      };
    }
  }

  /** queue outcomes for the next calls */
  then(...steps: Step[]): this {
    this.script.push(...steps);
    return this;
  }

  async deliver(channel: ChannelRef, digest: Digest, options: DeliverOptions): Promise<{ messageId: string }> {
    this.attempts.push({ at: this.chat.clock.now(), idempotencyKey: options.idempotencyKey, kind: options.kind });
    const step = this.script.shift() ?? 'ok';
    if (step instanceof DeliveryError) throw step;
    switch (step) {
      case 'ok':
        return { messageId: this.chat.post(channel, digest, options).id };
      case 'post-and-hang':
        this.chat.post(channel, digest, options);
        this.markHung();
        return new Promise(() => undefined);
      case 'hang':
        this.markHung();
        return new Promise(() => undefined);
      case 'post-and-throw':
        this.chat.post(channel, digest, options);
        throw new Error('socket hang up');
    }
  }
}

export function sameChannel(a: ChannelRef, b: ChannelRef): boolean {
  return a.platform === b.platform && a.workspaceId === b.workspaceId && a.channelId === b.channelId;
}

export interface DomainState {
  grade?: Grade;
  score?: number;
  codes?: FindingCode[];
  /** the DMARC policy the dmarc check reports (`evidence.policy`, as the real check sets it) */
  dmarcPolicy?: 'none' | 'quarantine' | 'reject' | null;
}

/**
 * Fake checks: each domain reports what `state` says now, stamped with the manual clock.
 * `calls` counts checks per domain.
 */
export class FakeChecks {
  readonly state = new Map<string, DomainState>();
  readonly calls = new Map<string, number>();
  readonly clock: ManualClock;
  constructor(clock: ManualClock) {
    this.clock = clock;
  }
  set(domain: string, s: DomainState): this {
    this.state.set(domain, s);
    return this;
  }
  readonly check = async (domain: string): Promise<Report> => {
    this.calls.set(domain, (this.calls.get(domain) ?? 0) + 1);
    const s = this.state.get(domain) ?? { grade: 'B', score: 80 };
    const report = makeReport(domain, this.clock.now(), { grade: s.grade ?? 'B', score: s.score ?? 80, codes: s.codes ?? [] });
    if (s.dmarcPolicy !== undefined) {
      const dmarc = report.checks.find((c) => c.id === 'dmarc')!;
      dmarc.evidence = { ...dmarc.evidence, policy: s.dmarcPolicy };
    }
    return report;
  };
  total(): number {
    let n = 0;
    for (const v of this.calls.values()) n += v;
    return n;
  }
}

export const SLACK_CHANNEL: ChannelRef = { platform: 'slack', workspaceId: 'T1', channelId: 'C1' };

export interface Harness {
  clock: ManualClock;
  store: Store;
  chat: FakeChat;
  checks: FakeChecks;
}

/** A manual clock (auto-advancing sleeps) and an in-memory store on that clock. */
export async function harness(start = '2026-11-30T06:00:00.000Z'): Promise<Harness> {
  const clock = new ManualClock(start);
  const store = await openStore('sqlite::memory:', { now: clock.now });
  return { clock, store, chat: new FakeChat(clock), checks: new FakeChecks(clock) };
}

/**
 * Helpers for the ops tests: an Ed25519 key pair standing in for Discord's, signed requests to
 * `/discord/interactions`, and the fake Discord in HTTP-interactions mode (payloads are POSTed to
 * us instead of dispatched over the gateway, and the HTTP response is the callback).
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { FakeDiscord, type FakeInteraction, type InteractionContext } from '../world/discord-fake.ts';
import type { Bot } from '../../src/bot/service.ts';

export interface SigningKey {
  /** raw 32-byte public key, hex (what the Developer Portal shows as Public Key) */
  publicKeyHex: string;
  privateKey: KeyObject;
}

export function signingKey(): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  const publicKeyHex = Buffer.from(String(jwk.x), 'base64url').toString('hex');
  return { publicKeyHex, privateKey };
}

export function signatureOf(key: SigningKey, timestamp: string, body: string | Buffer): string {
  return sign(null, Buffer.concat([Buffer.from(timestamp), Buffer.isBuffer(body) ? body : Buffer.from(body)]), key.privateKey).toString('hex');
}

export interface PostOptions {
  /** seconds since the epoch (default: now) */
  timestamp?: string;
  /** override the signature (default: a good one) */
  signature?: string;
  /** leave these headers out */
  omit?: ('signature' | 'timestamp')[];
  headers?: Record<string, string>;
}

export interface Posted {
  status: number;
  json: any;
  headers: Headers;
}

/** POST a (signed) body to the interactions endpoint. */
export async function postInteraction(url: string, key: SigningKey, body: unknown, options: PostOptions = {}): Promise<Posted> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (!options.omit?.includes('timestamp')) headers['x-signature-timestamp'] = timestamp;
  if (!options.omit?.includes('signature')) headers['x-signature-ed25519'] = options.signature ?? signatureOf(key, timestamp, text);
  const res = await fetch(url, { method: 'POST', headers, body: text });
  const raw = await res.text();
  let json: any = raw;
  try {
    json = JSON.parse(raw);
  } catch {
    // not JSON
  }
  return { status: res.status, json, headers: res.headers };
}

/**
 * The fake Discord with interactions delivered over HTTP: building an interaction records it in
 * the fake (so the webhook edits and follow-ups are accepted) without a gateway client, and it
 * counts as acknowledged, since over HTTP the response to Discord's POST is the callback.
 */
export class HttpFakeDiscord extends FakeDiscord {
  override dispatch(_t: string, _d: unknown): void {
    // nothing to dispatch: the test POSTs the payload to the endpoint
  }

  private acknowledge(i: FakeInteraction): FakeInteraction {
    const state = this['interactions'].get(i.token);
    if (state) state.acknowledged = true;
    return i;
  }

  override chatInput(path: string, options: Record<string, string> = {}, ctx: InteractionContext = {}): FakeInteraction {
    return this.acknowledge(super.chatInput(path, options, ctx));
  }

  override autocomplete(path: string, options: Record<string, string>, focused: string, ctx: InteractionContext = {}): FakeInteraction {
    return this.acknowledge(super.autocomplete(path, options, focused, ctx));
  }

  override button(customId: string, ctx: InteractionContext = {}, message?: { id?: string; embeds?: unknown[]; components?: unknown[] }): FakeInteraction {
    return this.acknowledge(super.button(customId, ctx, message));
  }
}

export async function startHttpFakeDiscord(): Promise<HttpFakeDiscord> {
  const fake = new HttpFakeDiscord();
  await fake.listen();
  return fake;
}

/** A bot that records every call before passing it on (to assert "no bot call"). */
export function countingBot(bot: Bot): { bot: Bot; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    bot: {
      handleText: (text, who) => (calls.push(`text:${text}`), bot.handleText(text, who)),
      handle: (command, who) => (calls.push(`handle:${command.kind}`), bot.handle(command, who)),
      card: (domain, who, input) => (calls.push(`card:${domain}`), bot.card(domain, who, input)),
      plan: (domain, who) => (calls.push(`plan:${domain}`), bot.plan(domain, who)),
    },
  };
}

export interface Gate {
  reached: Promise<void>;
  open(): void;
}

/** Hold the next call at a gate until the test opens it (ordering without timing). */
export function gateFor(): { gate: Gate; wait: () => Promise<void> } {
  let reached!: () => void;
  let open!: () => void;
  const reachedP = new Promise<void>((r) => (reached = r));
  const opened = new Promise<void>((r) => (open = r));
  return {
    gate: { reached: reachedP, open },
    wait: async () => {
      reached();
      await opened;
    },
  };
}

/**
 * Replay protection for signed chat requests (Slack's v0 HMAC, Discord's Ed25519): a signature
 * is accepted once. Entries live as long as the signature's timestamp could still pass the
 * freshness window (`maxAgeSeconds` either side of now); the cache is bounded.
 */
export interface ReplayCache {
  /** true the first time a signature is seen within its window, false for a replay */
  accept(signature: string, atMs: number): boolean;
  readonly size: number;
}

export const REPLAY_CACHE_MAX = 50_000;

export function createReplayCache(options: { maxAgeSeconds: number; max?: number }): ReplayCache {
  const max = options.max ?? REPLAY_CACHE_MAX;
  /** signature → expiry (ms); insertion order = arrival order, so the oldest come first */
  const seen = new Map<string, number>();
  return {
    accept(signature, atMs) {
      for (const [sig, expiry] of seen) {
        if (expiry > atMs && seen.size < max) break;
        seen.delete(sig);
      }
      if (seen.has(signature)) return false;
      seen.set(signature, atMs + options.maxAgeSeconds * 2000);
      return true;
    },
    get size() {
      return seen.size;
    },
  };
}

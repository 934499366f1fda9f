/**
 * Sliding-window rate limits for chat-triggered checks (per user, per workspace):
 * a check costs DNS, HTTPS and SMTP work on other people's servers, so a
 * channel must not be able to turn Posture into a scanner.
 */
export interface RateRule {
  /** what is limited, for the message ("you", "this workspace") */
  label: string;
  limit: number;
  windowMs: number;
}

export interface RateDecision {
  allowed: boolean;
  /** when refused: ms until the oldest use leaves the window */
  retryAfterMs: number;
  rule?: RateRule;
}

export class RateLimiter {
  private readonly uses = new Map<string, number[]>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Take one use of every key, or none if any key is over its limit. */
  take(keys: { key: string; rule: RateRule }[]): RateDecision {
    const t = this.now();
    for (const { key, rule } of keys) {
      const recent = (this.uses.get(key) ?? []).filter((u) => u > t - rule.windowMs);
      this.uses.set(key, recent);
      if (recent.length >= rule.limit) return { allowed: false, retryAfterMs: recent[0]! + rule.windowMs - t, rule };
    }
    for (const { key } of keys) this.uses.get(key)!.push(t);
    return { allowed: true, retryAfterMs: 0 };
  }
}

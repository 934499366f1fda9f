/**
 * The clock the scheduler, the runner and the delivery retries read and wait on. Production uses
 * {@link realClock}; tests use a {@link ManualClock}, so no test ever waits for real time.
 */

export interface Clock {
  now(): Date;
  /** Resolve after `ms`; reject with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

export const realClock: Clock = {
  now: () => new Date(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

interface Sleeper {
  until: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export interface ManualClockOptions {
  /**
   * true (default): `sleep(ms)` moves the clock forward by `ms` at once and resolves — virtual
   * time for code that waits inside one call (retries with backoff).
   * false: `sleep` waits until the test calls {@link ManualClock.advance} past its deadline
   * (for loops such as `Scheduler.start()`).
   */
  autoAdvance?: boolean;
}

/** A clock moved by hand; every `sleep(ms)` is recorded in {@link ManualClock.sleeps}. */
export class ManualClock implements Clock {
  private t: number;
  private readonly auto: boolean;
  private sleepers: Sleeper[] = [];
  /** every sleep asked for, in ms, in order */
  readonly sleeps: number[] = [];

  constructor(start: Date | string | number = '2026-11-30T08:00:00.000Z', options: ManualClockOptions = {}) {
    this.t = typeof start === 'number' ? start : typeof start === 'string' ? Date.parse(start) : start.getTime();
    if (!Number.isFinite(this.t)) throw new RangeError(`ManualClock: bad start time ${String(start)}`);
    this.auto = options.autoAdvance ?? true;
  }

  /** Bound, so it can be handed out as a plain function (`openStore(url, { now: clock.now })`). */
  readonly now = (): Date => new Date(this.t);

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const wait = Math.max(0, ms);
    this.sleeps.push(wait);
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.auto) {
      this.advance(wait);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = { until: this.t + wait, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        sleeper.onAbort = () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          reject(abortReason(signal));
        };
        signal.addEventListener('abort', sleeper.onAbort, { once: true });
      }
      this.sleepers.push(sleeper);
    });
  }

  /** Move forward by `ms`, waking every sleeper whose deadline has come. */
  advance(ms: number): Date {
    if (ms < 0) throw new RangeError('ManualClock cannot go backwards; use set()');
    return this.set(this.t + ms);
  }

  /** Jump to a time (forward or back); sleepers whose deadline has come wake up. */
  set(time: Date | string | number): Date {
    const t = typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : time.getTime();
    if (!Number.isFinite(t)) throw new RangeError(`ManualClock: bad time ${String(time)}`);
    this.t = t;
    const due = this.sleepers.filter((s) => s.until <= t).sort((a, b) => a.until - b.until);
    this.sleepers = this.sleepers.filter((s) => s.until > t);
    for (const s of due) {
      if (s.signal && s.onAbort) s.signal.removeEventListener('abort', s.onAbort);
      s.resolve();
    }
    return this.now();
  }

  /** sleepers still waiting (manual mode) */
  get waiting(): number {
    return this.sleepers.length;
  }
}

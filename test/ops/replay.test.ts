import { describe, expect, it } from 'vitest';
import { createReplayCache } from '../../src/http/replay.ts';

describe('replay cache', () => {
  it('accepts a signature once while it could still be fresh, and forgets it after', () => {
    const cache = createReplayCache({ maxAgeSeconds: 300 });
    expect(cache.accept('sig-a', 0)).toBe(true);
    expect(cache.accept('sig-a', 299_000)).toBe(false);
    expect(cache.accept('sig-b', 1_000)).toBe(true);
    // past twice the window the entry is gone: the timestamp check alone refuses such a request now
    expect(cache.accept('sig-a', 600_001)).toBe(true);
  });

  it('stays bounded, dropping the oldest first', () => {
    const cache = createReplayCache({ maxAgeSeconds: 300, max: 3 });
    for (const s of ['a', 'b', 'c', 'd']) expect(cache.accept(s, 0)).toBe(true);
    expect(cache.size).toBeLessThanOrEqual(3);
    expect(cache.accept('d', 1)).toBe(false);
  });
});

/**
 * Shared settings and generators for the property-based fuzz suites (fast-check).
 *
 * - `FUZZ_RUNS` sets the number of cases per property. Unset (plain `npm test`) it is small, so
 *   the whole folder stays quick; `npm run fuzz` sets it high.
 * - Timing is printed only in a long run (`FUZZ_RUNS` set) and never asserted: the linear-time
 *   properties assert that a parse completes (inside vitest's test timeout), nothing more.
 * - `FUZZ_SEED` replays a failing run (fast-check prints the seed and path on failure).
 */
import fc from 'fast-check';

export const LONG_RUN = process.env.FUZZ_RUNS !== undefined && process.env.FUZZ_RUNS !== '';
/** cases per property: 60 by default, FUZZ_RUNS when set */
export const RUNS = LONG_RUN ? Math.max(1, Number(process.env.FUZZ_RUNS)) : 60;

/** fast-check parameters for one property; `weight` scales RUNS for expensive properties. */
export function params(weight = 1): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
  return { numRuns: Math.max(1, Math.round(RUNS * weight)), ...(seed !== undefined ? { seed } : {}) };
}

/** Run `fn`, print how long it took in a long run; return its result. Never asserts on time. */
export function timed<T>(label: string, fn: () => T): T {
  const t0 = performance.now();
  const out = fn();
  if (LONG_RUN) console.log(`[fuzz timing] ${label}: ${(performance.now() - t0).toFixed(1)} ms`);
  return out;
}

/** Characters that matter to record grammars, plus controls and non-ASCII. */
const SPECIALS = [';', '=', ' ', '\t', ':', ',', '%', '{', '}', '/', '.', '-', '_', '!', '@', '+', '~', '?', '*', '"', '\\',
  '\r', '\n', '\r\n', '\0', '\u00a0', '\uFEFF', '\u202e', 'é', '💩', '\ud800', 'v=', 'p=', '%{', '//', '::', 'http://', 'https://', 'mailto:'];

/** Raw garbage: any UTF-16 (lone surrogates included), or grammar-heavy soup. */
export function garbage(maxLength = 300): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: fc.constantFrom(...SPECIALS, 'a', 'Z', '0', '9'), maxLength: Math.ceil(maxLength / 2) }),
    fc.string({ maxLength }),
  );
}

/** One edit applied to a string. */
type Edit =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'case'; at: number; length: number }
  | { kind: 'truncate'; at: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...SPECIALS), fc.string({ unit: 'binary', maxLength: 4 })) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('case' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

export function applyEdits(text: string, edits: readonly Edit[]): string {
  let s = text;
  for (const e of edits) {
    const at = s.length === 0 ? 0 : e.at % (s.length + 1);
    switch (e.kind) {
      case 'insert':
        s = s.slice(0, at) + e.text + s.slice(at);
        break;
      case 'delete':
        s = s.slice(0, at) + s.slice(at + e.length);
        break;
      case 'duplicate':
        s = s.slice(0, at + e.length) + s.slice(at, at + e.length) + s.slice(at + e.length);
        break;
      case 'case': {
        const part = s.slice(at, at + e.length);
        const flipped = [...part].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
        s = s.slice(0, at) + flipped + s.slice(at + e.length);
        break;
      }
      case 'truncate':
        s = s.slice(0, at);
        break;
    }
  }
  return s;
}

/** A valid record with 1–4 random edits: the near misses parsers meet in real zones. */
export function mutated(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([text, edits]) => applyEdits(text, edits));
}

/** Valid input, mutated input and garbage, in that proportion (2:2:1). */
export function hostileInput(valid: fc.Arbitrary<string>, maxGarbage = 300): fc.Arbitrary<string> {
  return fc.oneof({ arbitrary: valid, weight: 2 }, { arbitrary: mutated(valid), weight: 2 }, { arbitrary: garbage(maxGarbage), weight: 1 });
}

// ---- building blocks for valid records -------------------------------------------------------

export const label: fc.Arbitrary<string> = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/);
/** a host name with a letter in its top label */
export const hostName: fc.Arbitrary<string> = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.stringMatching(/^[a-z]{2,6}$/))
  .map(([labels, tld]) => [...labels, tld].join('.'));
export const ipv4: fc.Arbitrary<string> = fc.ipV4();
export const ipv6: fc.Arbitrary<string> = fc.ipV6();
export const mailbox: fc.Arbitrary<string> = fc.tuple(fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,10}$/), hostName).map(([l, h]) => `${l}@${h}`);

/** Separator whitespace the grammars allow around delimiters. */
export const wsp: fc.Arbitrary<string> = fc.constantFrom('', ' ', '  ', '\t', ' \t');

/**
 * BIMI: the assertion record and the SVG Tiny PS validator under generated, mutated and garbage
 * input (XML bombs, deep nesting, random bytes, gzip) — never throws, the result is consistent,
 * and documents up to the 32 KiB cap (and beyond) validate in bounded time.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBimi, suggestedRecord } from '../../src/checker/checks/bimi/record.ts';
import { SVG_MAX_BYTES, SVG_MAX_DEPTH, validateSvg, type SvgFacts } from '../../src/checker/checks/bimi/svg.ts';
import { garbage, hostileInput, hostName, mutated, params, timed, wsp } from './fuzz.ts';

const https = hostName.map((h) => `https://${h}/logo.svg`);
const validBimi: fc.Arbitrary<string> = fc
  .tuple(fc.oneof(https, fc.constant('')), fc.option(fc.oneof(https.map((u) => u.replace('logo.svg', 'vmc.pem')), fc.constant('')), { nil: undefined }), fc.option(fc.constantFrom('brand', 'personal'), { nil: undefined }), wsp)
  .map(([l, a, avp, space]) => ['v=BIMI1', `l=${l}`, ...(a !== undefined ? [`a=${a}`] : []), ...(avp ? [`avp=${avp}`] : [])].join(`;${space}`));

const SVG_NS = 'http://www.w3.org/2000/svg';
const element = fc.constantFrom(
  '<path d="M0 0h10v10z" fill="#f00"/>', '<circle cx="5" cy="5" r="4"/>', '<g><rect width="1" height="1"/></g>',
  '<script>alert(1)</script>', '<image href="https://x.example/a.png"/>', '<animate attributeName="x"/>',
  '<a href="https://evil.example/">x</a>', '<rect style="fill:url(https://x.example/#a)"/>', '<style>@import url(x.css);</style>',
  '<foreignObject><p>x</p></foreignObject>', '<rect onload="x()"/>', '<![CDATA[ <x> ]]>', '<!-- c -->',
);
const validSvg: fc.Arbitrary<string> = fc
  .tuple(fc.array(element, { maxLength: 6 }), fc.integer({ min: 1, max: 512 }), fc.integer({ min: 1, max: 512 }), fc.string({ maxLength: 20 }).map((t) => t.replace(/[<&]/g, '')))
  .map(([children, w, h, title]) =>
    `<?xml version="1.0"?><svg xmlns="${SVG_NS}" version="1.2" baseProfile="tiny-ps" viewBox="0 0 ${w} ${h}"><title>${title}</title>${children.join('')}</svg>`);

function checkFacts(input: string | Buffer, f: SvgFacts): void {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  expect(f.bytes).toBe(bytes);
  if (bytes > SVG_MAX_BYTES) expect(f.problems.length).toBeGreaterThan(0);
  if (!f.wellFormed) expect(f.problems.length).toBeGreaterThan(0);
  if (f.square !== null) expect(f.dimensions).not.toBeNull();
  if (f.dimensions) expect(f.dimensions.width > 0 && f.dimensions.height > 0).toBe(true);
  // a clean parse is a complete SVG Tiny PS root
  if (f.problems.length === 0) {
    expect(f.root).toBe(`{${SVG_NS}}svg`);
    expect(f.version).toBe('1.2');
    expect(f.baseProfile).toBe('tiny-ps');
    expect(f.title).not.toBeNull();
  }
}

describe('BIMI record fuzz', () => {
  it('never throws; declined and problems are consistent (valid, mutated, garbage)', () => {
    fc.assert(fc.property(hostileInput(validBimi, 400), (input) => {
      const r = parseBimi(input);
      expect(r.record).toBe(input);
      expect(r.logos.every((u) => u !== '')).toBe(true);
      if (r.declined) expect(r.logos).toEqual([]);
      // never throws either, and always proposes a v=BIMI1 record
      expect(suggestedRecord(r, 'https://example.com/logo.svg')).toMatch(/^v=BIMI1; l=/);
    }), params());
  });

  it('generated valid records parse cleanly', () => {
    fc.assert(fc.property(validBimi, (input) => {
      expect(parseBimi(input).problems).toEqual([]);
    }), params());
  });
});

describe('SVG Tiny PS validator fuzz', () => {
  it('never throws on generated, mutated and garbage documents', () => {
    fc.assert(fc.property(fc.oneof(validSvg, mutated(validSvg), garbage(2000)), (doc) => {
      checkFacts(doc, validateSvg(doc));
    }), params());
  });

  it('never throws on random bytes (invalid UTF-8, gzip magic, NULs)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), fc.boolean(), (bytes, gz) => {
      const buf = gz ? gzipSync(Buffer.from(bytes)) : Buffer.from(bytes);
      checkFacts(buf, validateSvg(buf));
    }), params());
  });

  it('clean generated logos (no forbidden children) pass', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 999 }), fc.stringMatching(/^[A-Za-z0-9 ]{1,20}$/).filter((t) => t.trim() !== ''), (size, title) => {
      const doc = `<svg xmlns="${SVG_NS}" version="1.2" baseProfile="tiny-ps" viewBox="0 0 ${size} ${size}"><title>${title}</title><path d="M0 0"/></svg>`;
      const f = validateSvg(doc);
      expect(f.problems).toEqual([]);
      expect(f.square).toBe(true);
    }), params(0.5));
  });
});

describe('SVG validator: hostile documents end in bounded time', () => {
  const laughs = `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 9 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`).join('')}]><svg xmlns="${SVG_NS}"><title>&j;</title></svg>`;
  const cases: Array<[string, string]> = [
    ['billion laughs', laughs],
    ['external entity', `<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="${SVG_NS}"><title>&x;</title></svg>`],
    ['deep nesting at the cap', '<g>'.repeat(Math.floor(SVG_MAX_BYTES / 3))],
    ['deep closed nesting', `<svg xmlns="${SVG_NS}">${'<g>'.repeat(5000)}${'</g>'.repeat(5000)}</svg>`],
    ['long numeric width', `<svg xmlns="${SVG_NS}" width="${'1'.repeat(60_000)}x" height="1"/>`],
    ['blanks in width', `<svg xmlns="${SVG_NS}" width="1${' '.repeat(60_000)}x" height="1"/>`],
    ['many attributes', `<svg xmlns="${SVG_NS}" ${Array.from({ length: 4000 }, (_, i) => `a${i}="url(x)"`).join(' ')}/>`],
    ['huge style sheet', `<svg xmlns="${SVG_NS}"><style>${'url(  '.repeat(20_000)}</style></svg>`],
    ['256 KiB of text', `<svg xmlns="${SVG_NS}"><title>${'a'.repeat(262_144)}</title></svg>`],
  ];
  it('stops reading a document nested deeper than the limit, and says so', () => {
    const f = validateSvg(`<svg xmlns="${SVG_NS}" version="1.2" baseProfile="tiny-ps"><title>t</title>${'<g>'.repeat(SVG_MAX_DEPTH + 5)}</svg>`);
    expect(f.wellFormed).toBe(false);
    expect(f.problems.some((p) => p.includes(`${SVG_MAX_DEPTH} levels`))).toBe(true);
  });

  it('reads a document in chunks without breaking a character at a chunk edge', () => {
    const head = `<svg xmlns="${SVG_NS}" version="1.2" baseProfile="tiny-ps" viewBox="0 0 1 1"><title>`;
    // the emoji's high surrogate is the last code unit of the first 4096-unit chunk
    const title = `${'x'.repeat(4095 - head.length)}💩é${'y'.repeat(300)}`;
    const f = validateSvg(`${head}${title}</title></svg>`);
    expect(f.problems).toEqual([]);
    expect(f.title).toBe(title);
  });

  for (const [name, doc] of cases) {
    it(`${name}: ends with problems, never throws`, () => {
      const f = timed(`svg ${name} (${doc.length} B)`, () => validateSvg(doc));
      expect(f.problems.length).toBeGreaterThan(0);
      if (name === 'billion laughs' || name === 'external entity') {
        expect(f.problems.some((p) => p.includes('ENTITY'))).toBe(true);
        expect((f.title ?? '').length).toBeLessThan(1000);
      }
    });
  }
});

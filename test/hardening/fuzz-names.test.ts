/**
 * DNS names and DNS messages from hostile input: `normalizeDomain` (what a user or a chat message
 * types), `canonicalName`, `--connect-to` and `--resolver` parsing, and the wire decoder fed
 * mutated and random packets. Never an unexpected exception; a normalised domain is a fixed point.
 */
import fc from 'fast-check';
import packet from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { normalizeDomain } from '../../src/checker/domain.ts';
import { canonicalName } from '../../src/checker/dns/types.ts';
import { decodeCharacterStrings, toDnsResponse } from '../../src/checker/dns/wire.ts';
import { parseServer } from '../../src/checker/dns/stub.ts';
import { ConnectToSyntaxError, parseConnectTo } from '../../src/checker/net/connect-to.ts';
import { garbage, hostileInput, hostName, params, timed } from './fuzz.ts';

const A_LABEL = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/;
const unicodeDomain = fc.tuple(fc.constantFrom('bücher', 'ÉXAMPLE', 'пример', '例え', 'xn--bcher-kva', 'a_b', 'straße', 'ǅ'), fc.constantFrom('com', 'de', 'test', 'рф'))
  .map(([l, t]) => `${l}.${t}`);
const typed = fc.oneof(
  hostName,
  hostName.map((h) => `  ${h.toUpperCase()}.  `),
  hostName.map((h) => `someone@${h}`),
  hostName.map((h) => `https://${h}/path`),
  unicodeDomain,
  fc.ipV4(),
  fc.ipV6().map((ip) => `[${ip}]`),
);

describe('domain names fuzz', () => {
  it('normalizeDomain never throws; accepted domains are lower-case A-labels and a fixed point', () => {
    fc.assert(fc.property(hostileInput(typed, 300), (input) => {
      const r = normalizeDomain(input);
      expect(r.input).toBe(input);
      if (r.ok) {
        expect(r.domain).toMatch(A_LABEL);
        expect(r.domain.length).toBeLessThanOrEqual(253);
        const again = normalizeDomain(r.domain);
        expect(again.ok && again.domain).toBe(r.domain);
      } else {
        expect(r.error.length).toBeGreaterThan(0);
        expect(r.error.length).toBeLessThan(input.length + 400);
      }
    }), params());
  });

  it('canonicalName is idempotent', () => {
    fc.assert(fc.property(garbage(100), (name) => {
      expect(canonicalName(canonicalName(name))).toBe(canonicalName(name));
    }), params());
  });

  it('--connect-to and --resolver parsing: a rule or a ConnectToSyntaxError, nothing else', () => {
    const spec = fc.tuple(fc.oneof(hostName, fc.ipV4(), fc.ipV6().map((i) => `[${i}]`), fc.constant('')), fc.oneof(fc.integer({ min: 0, max: 70000 }).map(String), fc.constant('')))
      .chain(([h, p]) => fc.tuple(fc.constant(`${h}:${p}`), fc.constant(`${h}:${p}`)).map(([a, b]) => `${a}:${b}`));
    fc.assert(fc.property(hostileInput(spec, 80), (s) => {
      try {
        const rule = parseConnectTo(s);
        if (rule.port !== undefined) expect(rule.port >= 1 && rule.port <= 65535).toBe(true);
      } catch (err) {
        expect(err).toBeInstanceOf(ConnectToSyntaxError);
      }
      const server = parseServer(s);
      expect(typeof server.host).toBe('string');
    }), params());
  });

  it('linear time: 64 KiB and 256 KiB hostile names', () => {
    for (const n of [65_536, 262_144]) {
      for (const s of ['a'.repeat(n), 'a.'.repeat(n / 2), '@'.repeat(n), 'ü'.repeat(n), `${'-'.repeat(n)}.com`, 'xn--'.repeat(n / 4)]) {
        const r = timed(`normalizeDomain (${s.length} chars)`, () => normalizeDomain(s));
        expect(r.ok).toBe(false);
      }
    }
  });
});

describe('DNS wire decoding fuzz', () => {
  const answer = fc.oneof(
    fc.record({ type: fc.constant('A' as const), name: hostName, ttl: fc.nat(), data: fc.ipV4() }),
    fc.record({ type: fc.constant('MX' as const), name: hostName, ttl: fc.nat(), data: fc.record({ preference: fc.nat(65535), exchange: hostName }) }),
    fc.record({ type: fc.constant('CNAME' as const), name: hostName, ttl: fc.nat(), data: hostName }),
    fc.record({ type: fc.constant('TXT' as const), name: hostName, ttl: fc.nat(), data: fc.array(fc.string({ maxLength: 255 }), { maxLength: 4 }) }),
    fc.record({ type: fc.constant('TLSA' as const), name: hostName, ttl: fc.nat(), data: fc.record({ usage: fc.nat(255), selector: fc.nat(255), matchingType: fc.nat(255), certificate: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) }) }),
  );
  const response = fc.record({
    id: fc.nat(65535),
    rcode: fc.constantFrom(0, 2, 3, 5, 1, 4, 9),
    qname: hostName,
    qtype: fc.constantFrom('A', 'MX', 'TXT', 'TLSA', 'CNAME'),
    answers: fc.array(answer, { maxLength: 8 }),
  }).map((r) => ({
    ...r,
    wire: packet.encode({ type: 'response', id: r.id, flags: r.rcode, questions: [{ name: r.qname, type: r.qtype as packet.RecordType, class: 'IN' }], answers: r.answers as packet.Answer[] }),
  }));

  it('a decoded answer (intact or with flipped bytes) converts without throwing', () => {
    fc.assert(fc.property(response, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 6 }), (r, flips) => {
      const wire = Buffer.from(r.wire);
      for (const [at, value] of flips) if (wire.length) wire[at % wire.length] = value;
      let decoded: packet.DecodedPacket;
      try {
        decoded = packet.decode(wire);
      } catch {
        return; // the stub drops undecodable datagrams
      }
      const out = toDnsResponse(decoded, r.qname, r.qtype as 'A', '127.0.0.1:53');
      expect(['answer', 'nodata', 'nxdomain', 'servfail', 'refused', 'error']).toContain(out.outcome);
      expect(out.cnames.length).toBeLessThanOrEqual(16);
      if (out.outcome === 'answer') expect(out.answers.length).toBeGreaterThan(0);
    }), params());
  });

  it('TXT character-strings: any RDATA decodes without throwing', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (raw) => {
      const strings = decodeCharacterStrings(Buffer.from(raw));
      expect(strings.length).toBeLessThanOrEqual(raw.length);
    }), params());
  });
});

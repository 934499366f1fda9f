import { describe, expect, it } from 'vitest';
import { parseCommand, unwrapSlackLinks } from '../../src/bot/commands.ts';

const ok = (text: string) => {
  const r = parseCommand(text);
  if (!r.ok) throw new Error(`expected "${text}" to parse: ${r.error}`);
  return r.command;
};
const err = (text: string) => {
  const r = parseCommand(text);
  if (r.ok) throw new Error(`expected "${text}" to be refused, got ${JSON.stringify(r.command)}`);
  return r.error;
};

describe('parseCommand', () => {
  it('checks a bare domain or "check DOMAIN", normalised as the CLI does', () => {
    expect(ok('Example.COM.')).toEqual({ kind: 'check', domain: 'example.com', input: 'Example.COM.' });
    expect(ok('check bücher.example')).toMatchObject({ kind: 'check', domain: 'xn--bcher-kva.example' });
    expect(ok('<http://example.org|example.org>')).toMatchObject({ kind: 'check', domain: 'example.org' });
    expect(ok('<mailto:bob@example.net|bob@example.net>')).toMatchObject({ kind: 'check', domain: 'example.net' });
  });

  it('refuses bad domains with a hint of what to type', () => {
    expect(err('https://example.com/x')).toMatch(/URL.*Try: \/posture example\.com/);
    expect(err('check')).toMatch(/Try: \/posture check example\.com/);
    expect(err('frobnicate the thing')).toMatch(/\/posture help/);
  });

  it('explains a topic, optionally for a domain', () => {
    expect(ok('explain MTA-STS')).toEqual({ kind: 'explain', topic: 'MTA-STS' });
    expect(ok('explain mta-sts for Example.com')).toMatchObject({ kind: 'explain', topic: 'mta-sts', domain: expect.stringMatching(/example\.com/i) });
    expect(ok('what is mta-sts?')).toMatchObject({ kind: 'explain' });
    // Slack turns a typed domain into a link; the grammar undoes it before explain sees it
    expect(ok('explain dmarc for <http://example.com|example.com>')).toMatchObject({ kind: 'explain', topic: 'dmarc', domain: 'example.com' });
    expect(err('explain')).toMatch(/Try: \/posture explain mta-sts/);
  });

  it('watches and unwatches one or more domains, de-duplicated', () => {
    expect(ok('watch example.com Example.com, example.org')).toEqual({ kind: 'watch', domains: ['example.com', 'example.org'] });
    expect(ok('unwatch example.com')).toEqual({ kind: 'unwatch', domains: ['example.com'] });
    expect(err('watch not_a_domain')).toMatch(/Try: \/posture watch example\.com/);
    expect(ok('watching')).toEqual({ kind: 'watching' });
  });

  it('reads digest schedules with weekday, 24-hour time and an IANA zone', () => {
    expect(ok('digest')).toEqual({ kind: 'digest-show' });
    expect(ok('digest now')).toEqual({ kind: 'digest-now' });
    expect(ok('digest off')).toEqual({ kind: 'digest-off' });
    expect(ok('digest mon 09:00 Europe/Berlin')).toEqual({ kind: 'digest-set', weekday: 1, time: '09:00', timeZone: 'Europe/Berlin' });
    expect(ok('digest Friday 7:30')).toEqual({ kind: 'digest-set', weekday: 5, time: '07:30' });
    expect(err('digest someday 09:00')).toMatch(/not a weekday/);
    expect(err('digest mon 25:00')).toMatch(/HH:MM/);
    expect(err('digest mon 09:00 Mars/Olympus')).toMatch(/IANA time zone/);
  });

  it('treats empty text and "help" as help', () => {
    expect(ok('')).toEqual({ kind: 'help' });
    expect(ok('help')).toEqual({ kind: 'help' });
  });
});

describe('unwrapSlackLinks', () => {
  it('keeps the text a person typed', () => {
    expect(unwrapSlackLinks('watch <http://a.example|a.example> <https://b.example>')).toBe('watch a.example https://b.example');
  });
});

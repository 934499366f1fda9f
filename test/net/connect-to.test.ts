import { describe, expect, it } from 'vitest';
import { ConnectToSyntaxError, mapDestination, parseConnectTo, parseConnectToList } from '../../src/checker/net/connect-to.ts';

describe('parseConnectTo', () => {
  it.each([
    ['example.com:443:127.0.0.1:8443', { host: 'example.com', port: 443, toHost: '127.0.0.1', toPort: 8443 }],
    ['Example.COM.:443:localhost:8443', { host: 'example.com', port: 443, toHost: 'localhost', toPort: 8443 }],
    ['::127.0.0.1:8443', { toHost: '127.0.0.1', toPort: 8443 }],
    [':443:127.0.0.1:', { port: 443, toHost: '127.0.0.1' }],
    ['mx.example.com:25::2525', { host: 'mx.example.com', port: 25, toPort: 2525 }],
    ['[::1]:443:[::1]:8443', { host: '::1', port: 443, toHost: '::1', toPort: 8443 }],
    ['[2001:DB8:0::1]:25:127.0.0.1:2525', { host: '2001:db8::1', port: 25, toHost: '127.0.0.1', toPort: 2525 }],
    ['10.0.0.1:443:127.0.0.1:4443', { host: '10.0.0.1', port: 443, toHost: '127.0.0.1', toPort: 4443 }],
    [':::', {}],
  ])('%s', (spec, expected) => {
    const { spec: _spec, ...rule } = parseConnectTo(spec);
    expect(rule).toEqual(expected);
  });

  it.each([
    'example.com',
    'example.com:443',
    'example.com:443:127.0.0.1',
    'example.com:https:127.0.0.1:443',
    'example.com:443:127.0.0.1:70000',
    'example.com:0:127.0.0.1:443',
    '::1:443:127.0.0.1:8443',
    '[::1:443:127.0.0.1:8443',
    '[not-v6]:443:127.0.0.1:8443',
    'exa mple.com:443:127.0.0.1:8443',
    'example.com:443:::1:8443',
  ])('refuses %s with a one-line message', (spec) => {
    expect(() => parseConnectTo(spec)).toThrow(ConnectToSyntaxError);
    try {
      parseConnectTo(spec);
    } catch (err) {
      expect((err as Error).message).toContain('--connect-to');
      expect((err as Error).message).not.toContain('\n');
    }
  });
});

describe('mapDestination', () => {
  const rules = parseConnectToList([
    'mta-sts.example.test:443:127.0.0.1:8443',
    '10.0.0.1:443:127.0.0.1:9443',
    '[::1]::127.0.0.1:',
    ':25:127.0.0.1:2525',
  ]);

  it('matches on the host name and keeps nothing else', () => {
    expect(mapDestination(rules, { host: 'MTA-STS.example.test.', address: '192.0.2.1', port: 443 })).toMatchObject({ host: '127.0.0.1', port: 8443 });
  });

  it('matches on the resolved address as well', () => {
    expect(mapDestination(rules, { host: 'evil.test', address: '10.0.0.1', port: 443 })).toMatchObject({ host: '127.0.0.1', port: 9443 });
  });

  it('compares IPv6 addresses in canonical form; an empty PORT2 keeps the port', () => {
    expect(mapDestination(rules, { host: 'x.test', address: '0:0:0:0:0:0:0:1', port: 8080 })).toMatchObject({ host: '127.0.0.1', port: 8080 });
  });

  it('an empty HOST matches any host on that port', () => {
    expect(mapDestination(rules, { host: 'mx.anything.test', address: '192.0.2.25', port: 25 })).toMatchObject({ host: '127.0.0.1', port: 2525 });
  });

  it('without a matching rule the resolved address is the destination', () => {
    const d = mapDestination(rules, { host: 'mta-sts.example.test', address: '192.0.2.1', port: 8443 });
    expect(d).toEqual({ host: '192.0.2.1', port: 8443 });
  });

  it('the first matching rule wins (as curl)', () => {
    const two = parseConnectToList(['a.test:443:127.0.0.1:1', 'a.test:443:127.0.0.1:2']);
    expect(mapDestination(two, { host: 'a.test', port: 443 }).port).toBe(1);
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { safeFetch, type FetchResult, type SafeFetchOptions } from '../../src/checker/net/https.ts';
import { parseConnectTo } from '../../src/checker/net/connect-to.ts';
import { MemoryResolver } from '../world/dns/memory-resolver.ts';
import { TestCa, selfSigned } from '../world/tls/ca.ts';
import { startHttpsWorld, type HttpsWorld } from '../world/https-server.ts';
import { installLoopbackGuard, type LoopbackGuard } from '../world/loopback-guard.ts';

const POLICY = 'version: STSv1\nmode: enforce\nmx: mail.good.test\nmax_age: 604800\n';

let ca: TestCa;
let world: HttpsWorld;
let guard: LoopbackGuard;
let closedPort: number;

const resolver = new MemoryResolver({
  names: {
    'mta-sts.good.test': { A: ['127.0.0.1'] },
    'mta-sts.expired.test': { A: ['127.0.0.1'] },
    'mta-sts.wrongname.test': { A: ['127.0.0.1'] },
    'mta-sts.selfsigned.test': { A: ['127.0.0.1'] },
    'mta-sts.otherca.test': { A: ['127.0.0.1'] },
    // public-looking (TEST-NET-1) address, routed to loopback with --connect-to
    'mta-sts.testnet.test': { A: ['192.0.2.10'] },
    // the no-connection matrix
    'loopback4.evil.test': { A: ['127.0.0.1'] },
    'loopback6.evil.test': { AAAA: ['::1'] },
    'private.evil.test': { A: ['10.0.0.1'] },
    'metadata.evil.test': { A: ['169.254.169.254'] },
    'mapped.evil.test': { AAAA: ['::ffff:10.0.0.1'] },
    'broken.test': { fault: 'servfail' },
  },
});

function opts(extra: Partial<SafeFetchOptions> = {}): SafeFetchOptions {
  return { resolver, allowPrivateNetworks: true, ca: ca.certPem, timeoutMs: 5000, ...extra };
}

function url(host: string, path = '/.well-known/mta-sts.txt'): string {
  return `https://${host}:${world.port}${path}`;
}

function expectError(result: FetchResult): Extract<FetchResult, { kind: 'error' }> {
  if (result.kind !== 'error') throw new Error(`expected an error, got HTTP ${result.status}`);
  return result;
}

function expectResponse(result: FetchResult): Extract<FetchResult, { kind: 'response' }> {
  if (result.kind !== 'response') throw new Error(`expected a response, got ${result.stage}/${result.code}: ${result.message}`);
  return result;
}

beforeAll(async () => {
  guard = installLoopbackGuard();
  ca = await TestCa.create();
  const otherCa = await TestCa.create('Somebody Else CA');
  const good = await ca.issue(['mta-sts.good.test', 'mta-sts.testnet.test', 'loopback4.evil.test', 'loopback6.evil.test', 'private.evil.test', 'metadata.evil.test', 'mapped.evil.test', '127.0.0.1', '10.0.0.1', '169.254.169.254']);
  const wellKnown = { '/.well-known/mta-sts.txt': { kind: 'body' as const, body: POLICY, contentType: 'text/plain; charset=utf-8' } };
  world = await startHttpsWorld({
    defaultCert: good,
    hosts: {
      'mta-sts.good.test': {
        cert: good,
        routes: {
          ...wellKnown,
          '/redirect': { kind: 'redirect', location: '/.well-known/mta-sts.txt' },
          '/html': { kind: 'body', body: '<html></html>', contentType: 'text/html' },
          '/big': { kind: 'oversized', bytes: 200_000 },
          '/big-chunked': { kind: 'oversized', bytes: 200_000, declareLength: false },
          '/exactly-limit': { kind: 'oversized', bytes: 65_536 },
          '/slow-headers': { kind: 'slow-headers', delayMs: 3000, body: POLICY },
          '/trickle': { kind: 'trickle', chunk: 'x', intervalMs: 100 },
          '/error': { kind: 'status', status: 500, body: 'oops' },
        },
      },
      'mta-sts.testnet.test': { cert: good, routes: wellKnown },
      'mta-sts.expired.test': { cert: await ca.issueExpired(['mta-sts.expired.test']), routes: wellKnown },
      'mta-sts.wrongname.test': { cert: await ca.issueWrongName(['www.wrongname.test']), routes: wellKnown },
      'mta-sts.selfsigned.test': { cert: await selfSigned(['mta-sts.selfsigned.test']), routes: wellKnown },
      'mta-sts.otherca.test': { cert: await otherCa.issue(['mta-sts.otherca.test']), routes: wellKnown },
      'loopback4.evil.test': { cert: good, routes: wellKnown },
      'loopback6.evil.test': { cert: good, routes: wellKnown },
      'private.evil.test': { cert: good, routes: wellKnown },
      'metadata.evil.test': { cert: good, routes: wellKnown },
      'mapped.evil.test': { cert: good, routes: wellKnown },
    },
  });
  // a port nobody listens on
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
});

afterAll(async () => {
  await world?.close();
  guard?.uninstall();
});

afterEach(() => {
  // no test may ever have tried to leave loopback
  expect(guard.refused).toEqual([]);
});

describe('safeFetch: what the server said', () => {
  it('returns a 200 text/plain policy with its body, media type and the verified certificate', async () => {
    const r = expectResponse(await safeFetch(url('mta-sts.good.test'), opts()));
    expect(r.status).toBe(200);
    expect(r.contentType).toBe('text/plain');
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.body).toBe(POLICY);
    expect(r.bytes).toBe(Buffer.byteLength(POLICY));
    expect(r.address).toBe('127.0.0.1');
    expect(r.tls.authorized).toBe(true);
    expect(r.tls.protocol).toBe('TLSv1.3');
    expect(r.tls.peerCertificate?.subjectAltNames).toContain('mta-sts.good.test');
    expect(r.tls.peerCertificate?.spkiSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('returns a redirect with its location and does not follow it (RFC 8461 §3.3)', async () => {
    const before = world.requests.length;
    const r = expectResponse(await safeFetch(url('mta-sts.good.test', '/redirect'), opts()));
    expect(r.status).toBe(301);
    expect(r.location).toBe('/.well-known/mta-sts.txt');
    expect(world.requests.slice(before)).toEqual(['mta-sts.good.test /redirect']);
  });

  it('returns 404 and 500 as responses, not errors', async () => {
    expect(expectResponse(await safeFetch(url('mta-sts.good.test', '/nope'), opts())).status).toBe(404);
    expect(expectResponse(await safeFetch(url('mta-sts.good.test', '/error'), opts())).status).toBe(500);
  });

  it('reports the media type so a wrong content type can be flagged', async () => {
    const r = expectResponse(await safeFetch(url('mta-sts.good.test', '/html'), opts()));
    expect(r.contentType).toBe('text/html');
  });
});

describe('safeFetch: size and time limits', () => {
  it('reports a body over the cap as too large (declared length)', async () => {
    const e = expectError(await safeFetch(url('mta-sts.good.test', '/big'), opts()));
    expect(e.stage).toBe('too_large');
  });

  it('reports a chunked body over the cap as too large', async () => {
    const e = expectError(await safeFetch(url('mta-sts.good.test', '/big-chunked'), opts()));
    expect(e.stage).toBe('too_large');
  });

  it('accepts a body of exactly the cap', async () => {
    const r = expectResponse(await safeFetch(url('mta-sts.good.test', '/exactly-limit'), opts()));
    expect(r.bytes).toBe(65_536);
  });

  it('honours a smaller cap', async () => {
    const e = expectError(await safeFetch(url('mta-sts.good.test'), opts({ maxBytes: 10 })));
    expect(e.stage).toBe('too_large');
  });

  it('times out when the headers do not come', async () => {
    const started = Date.now();
    const e = expectError(await safeFetch(url('mta-sts.good.test', '/slow-headers'), opts({ headersTimeoutMs: 400 })));
    expect(e.stage).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2900);
  });

  it('times out a body that trickles forever, at the overall deadline', async () => {
    const started = Date.now();
    const e = expectError(await safeFetch(url('mta-sts.good.test', '/trickle'), opts({ timeoutMs: 700 })));
    expect(e.stage).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('rejects with the caller\'s reason when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = safeFetch(url('mta-sts.good.test', '/slow-headers'), opts({ signal: controller.signal }));
    setTimeout(() => controller.abort(new Error('budget spent')), 100);
    await expect(pending).rejects.toThrow('budget spent');
  });
});

describe('safeFetch: certificate failures are told apart from unreachable hosts', () => {
  it.each([
    ['mta-sts.expired.test', 'CERT_HAS_EXPIRED'],
    ['mta-sts.wrongname.test', 'ERR_TLS_CERT_ALTNAME_INVALID'],
    ['mta-sts.selfsigned.test', 'DEPTH_ZERO_SELF_SIGNED_CERT'],
    ['mta-sts.otherca.test', 'SELF_SIGNED_CERT_IN_CHAIN'] // the server sends its (unknown) root along,
  ])('%s → tls error %s, certificate blamed, no HTTP request sent', async (host, code) => {
    const before = world.requests.length;
    const e = expectError(await safeFetch(url(host), opts()));
    expect(e.stage).toBe('tls');
    expect(e.code).toBe(code);
    expect(e.certificateError).toBe(true);
    expect(e.chain?.[0]?.subject).toBeTruthy();
    expect(world.requests.length).toBe(before);
  });

  it('trusts only the given CA: the default roots do not know the test CA', async () => {
    const e = expectError(await safeFetch(url('mta-sts.good.test'), opts({ ca: undefined })));
    expect(e.stage).toBe('tls');
    expect(e.certificateError).toBe(true);
  });

  it('a closed port is a connect failure, not a certificate one', async () => {
    const e = expectError(await safeFetch(`https://mta-sts.good.test:${closedPort}/`, opts()));
    expect(e.stage).toBe('connect');
    expect(e.code).toBe('ECONNREFUSED');
  });

  it('NXDOMAIN and SERVFAIL are DNS failures', async () => {
    const nx = expectError(await safeFetch('https://mta-sts.nowhere.test/', opts()));
    expect([nx.stage, nx.code]).toEqual(['dns', 'NXDOMAIN']);
    const sf = expectError(await safeFetch('https://broken.test/', opts()));
    expect([sf.stage, sf.code]).toEqual(['dns', 'SERVFAIL']);
  });

  it('refuses plain http', async () => {
    const e = expectError(await safeFetch(`http://mta-sts.good.test:${world.port}/`, opts()));
    expect(e.code).toBe('UNSUPPORTED_SCHEME');
  });
});

describe('safeFetch: connect-to keeps the name for SNI and the certificate', () => {
  it('maps a TEST-NET address to the loopback server under the default policy', async () => {
    const connectTo = [parseConnectTo(`192.0.2.10:443:127.0.0.1:${world.port}`)];
    const r = expectResponse(await safeFetch('https://mta-sts.testnet.test/.well-known/mta-sts.txt', opts({ allowPrivateNetworks: false, connectTo })));
    expect(r.status).toBe(200);
    expect(r.address).toBe('192.0.2.10');
    expect(r.connectedTo).toBe(`127.0.0.1:${world.port}`);
    expect(r.tls.authorized).toBe(true);
  });

  it('maps by host name too (curl semantics)', async () => {
    const connectTo = [parseConnectTo(`mta-sts.testnet.test:443:127.0.0.1:${world.port}`)];
    const r = expectResponse(await safeFetch('https://mta-sts.testnet.test/.well-known/mta-sts.txt', opts({ allowPrivateNetworks: false, connectTo })));
    expect(r.status).toBe(200);
  });

  it('a mapped host still needs a certificate for its own name', async () => {
    const connectTo = [parseConnectTo(`mta-sts.wrongname.test:443:127.0.0.1:${world.port}`)];
    const e = expectError(await safeFetch('https://mta-sts.wrongname.test/', opts({ connectTo })));
    expect(e.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });
});

describe('safeFetch: refused destinations get no connection at all', () => {
  // Every case routes the forbidden address to the loopback server, so a
  // policy bug would show up as an accepted socket there (and the loopback
  // guard keeps anything from leaving the machine).
  const cases: Array<[string, () => string, () => string[]]> = [
    ['a name resolving to 127.0.0.1', () => url('loopback4.evil.test'), () => []],
    ['a name resolving to ::1', () => 'https://loopback6.evil.test/', () => [`[::1]:443:127.0.0.1:${world.port}`]],
    ['a name resolving to 10.0.0.1', () => 'https://private.evil.test/', () => [`10.0.0.1:443:127.0.0.1:${world.port}`]],
    ['a name resolving to 169.254.169.254', () => 'https://metadata.evil.test/', () => [`169.254.169.254:443:127.0.0.1:${world.port}`]],
    ['a name resolving to ::ffff:10.0.0.1', () => 'https://mapped.evil.test/', () => [`10.0.0.1:443:127.0.0.1:${world.port}`, `[::ffff:10.0.0.1]:443:127.0.0.1:${world.port}`]],
    ['the literal 127.0.0.1', () => `https://127.0.0.1:${world.port}/`, () => []],
    ['the literal [::ffff:127.0.0.1]', () => `https://[::ffff:127.0.0.1]:${world.port}/`, () => []],
    ['the literal 10.0.0.1', () => 'https://10.0.0.1/', () => [`10.0.0.1:443:127.0.0.1:${world.port}`]],
    ['the literal 169.254.169.254', () => 'https://169.254.169.254/latest/meta-data/', () => [`169.254.169.254:443:127.0.0.1:${world.port}`]],
  ];

  it.each(cases)('%s: refused by policy, 0 accepted sockets', async (_label, target, rules) => {
    const before = world.acceptedSockets;
    const e = expectError(await safeFetch(target(), opts({ allowPrivateNetworks: false, connectTo: rules().map(parseConnectTo) })));
    expect(e.stage).toBe('policy');
    expect(e.code).toBe('ADDRESS_REFUSED');
    expect(world.acceptedSockets).toBe(before);
  });

  it('with --allow-private-networks the 127.0.0.1 case connects', async () => {
    const before = world.acceptedSockets;
    const r = expectResponse(await safeFetch(url('loopback4.evil.test'), opts({ allowPrivateNetworks: true })));
    expect(r.status).toBe(200);
    expect(world.acceptedSockets).toBe(before + 1);
  });

  it('with --allow-private-networks the mapped 10.0.0.1 case reaches the loopback server (proving the matrix above is wired)', async () => {
    const before = world.acceptedSockets;
    const connectTo = [parseConnectTo(`10.0.0.1:443:127.0.0.1:${world.port}`)];
    const r = expectResponse(await safeFetch('https://private.evil.test/.well-known/mta-sts.txt', opts({ allowPrivateNetworks: true, connectTo })));
    expect(r.address).toBe('10.0.0.1');
    expect(world.acceptedSockets).toBe(before + 1);
  });
});

/**
 * Trust the fixture world's test CA the way a deployment trusts an extra CA
 * (NODE_EXTRA_CA_CERTS): in the process-wide default store, so every TLS
 * connection reuses Node's cached default context.
 *
 * The alternative, `options.extraCa`, makes the checker pass `ca: [every
 * default root + the test CA]` to each `tls.connect`, which builds a fresh
 * SecureContext per connection (about 20 ms of CPU on this machine for ~265
 * roots): a test-harness cost production never pays. `bench/transport.ts`
 * measures both.
 */
import tls from 'node:tls';

export function trustProcessWide(caPem: string): void {
  const current = tls.getCACertificates('default');
  if (current.includes(caPem)) return;
  tls.setDefaultCACertificates([...current, caPem]);
}

/** CPU cost of one TLS client context built the way `options.extraCa` builds it, ms. */
export function extraCaContextCostMs(caPem: string, samples = 10): number {
  const t0 = performance.now();
  for (let i = 0; i < samples; i++) tls.createSecureContext({ ca: [...tls.getCACertificates('default'), caPem] });
  return (performance.now() - t0) / samples;
}

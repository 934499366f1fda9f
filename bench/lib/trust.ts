/**
 * Trust the fixture world's test CA the way a deployment trusts an extra CA
 * (NODE_EXTRA_CA_CERTS): in the process-wide default store, so every TLS
 * connection reuses Node's cached default context.
 *
 * The alternative, `options.extraCa`, makes the checker trust `[every default
 * root + the test CA]`: it builds one SecureContext per distinct list (about
 * 10–20 ms of CPU on this machine for ~265 roots) and re-uses it; before
 * 78b2977 it built one per TLS connection. `bench/transport.ts` measures both.
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

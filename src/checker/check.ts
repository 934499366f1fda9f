/** What every check shares: its context and the helpers that turn findings into a CheckResult. */
import type { Resolver, DnsResponse, RRType } from './dns/types.ts';
import { isLookupFailure } from './dns/types.ts';
import { finding } from './findings.ts';
import type { CheckId, CheckResult, CheckStatus, Finding } from './types.ts';
import { SEVERITY_RANK } from './types.ts';
import { createProbeCache, processProbePacer, type ProbeCache, type ProbePacer } from './net/smtp-probe.ts';
import { parseConnectToList, type ConnectToRule } from './net/connect-to.ts';

export interface CheckOptions {
  /** DKIM selectors the user asked us to try first */
  dkimSelectors: string[];
  /** probe STARTTLS on port 25 */
  smtp: boolean;
  /** allow HTTPS/SMTP to loopback/private/link-local addresses */
  allowPrivateNetworks: boolean;
  /** wall-clock budget for one domain, ms */
  timeoutMs: number;
  /** `--connect-to HOST:PORT:HOST2:PORT2` rules, as given (curl semantics) */
  connectTo: string[];
  /** extra trust anchors (PEM) beside the default roots: the fixture world's test CA (processes use NODE_EXTRA_CA_CERTS) */
  extraCa?: string[];
  /** our name in SMTP EHLO (RFC 5321 §4.1.1.1) */
  heloName: string;
}

export const DEFAULT_CHECK_OPTIONS: CheckOptions = {
  dkimSelectors: [],
  smtp: true,
  allowPrivateNetworks: false,
  timeoutMs: 10_000,
  connectTo: [],
  heloName: 'posture.invalid',
};

/** What a whole run shares across domains: fifty domains on one provider cost one STARTTLS probe. */
export interface RunResources {
  probes: ProbeCache;
}

export interface RunResourcesOptions {
  /**
   * Per-MX-address probe pacing across runs: default the process-wide `processProbePacer`
   * (a result is reused for 60 s, one probe at a time per address, 32 in all); `null` turns
   * pacing off (every run probes afresh), a `createProbePacer(...)` gives its own interval or clock.
   */
  pacer?: ProbePacer | null;
}

export function createRunResources(options: RunResourcesOptions = {}): RunResources {
  const pacer = options.pacer === undefined ? processProbePacer : options.pacer;
  return { probes: createProbeCache({ pacer }) };
}

export interface CheckContext {
  /** A-label, lower case, no trailing dot */
  domain: string;
  resolver: Resolver;
  signal: AbortSignal;
  options: CheckOptions;
  /** run-wide caches (STARTTLS probes) */
  resources: RunResources;
  /** `options.connectTo`, parsed */
  connectTo: readonly ConnectToRule[];
}

/** A context with defaults filled in: what the orchestrator builds, and what tests build. */
export function makeContext(init: {
  domain: string;
  resolver: Resolver;
  signal?: AbortSignal;
  options?: Partial<CheckOptions>;
  resources?: RunResources;
}): CheckContext {
  const options: CheckOptions = { ...DEFAULT_CHECK_OPTIONS, ...init.options };
  return {
    domain: init.domain,
    resolver: init.resolver,
    signal: init.signal ?? new AbortController().signal,
    options,
    resources: init.resources ?? createRunResources(),
    connectTo: parseConnectToList(options.connectTo),
  };
}

/** Worst finding decides the status; none means pass (CONTRACTS §2). */
export function statusOf(findings: readonly Finding[]): CheckStatus {
  let worst: CheckStatus = 'pass';
  let rank = 0;
  for (const f of findings) {
    const r = SEVERITY_RANK[f.severity];
    if (r > rank) {
      rank = r;
      worst = f.severity;
    }
  }
  return worst;
}

/** Findings worst first, stable otherwise. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings
    .map((f, i) => [f, i] as const)
    .sort((a, b) => SEVERITY_RANK[b[0].severity] - SEVERITY_RANK[a[0].severity] || a[1] - b[1])
    .map(([f]) => f);
}

export function result(
  id: CheckId,
  summary: string,
  findings: Finding[],
  evidence: Record<string, unknown> = {},
): CheckResult {
  const sorted = sortFindings(findings);
  return { id, status: statusOf(sorted), summary, evidence, findings: sorted };
}

/**
 * The check could not be completed: it asserts nothing about the domain and
 * says what failed (CONTRACTS §2).
 */
export function untested(
  id: CheckId,
  summary: string,
  findings: Finding[] = [],
  evidence: Record<string, unknown> = {},
): CheckResult {
  return { id, status: 'untested', summary, evidence, findings: sortFindings(findings) };
}

/** The `dns.lookup_failed` finding for a failed query. */
export function lookupFailed(response: DnsResponse): Finding {
  const why = describeFailure(response);
  return finding(
    'dns.lookup_failed',
    `The ${response.type} lookup for ${response.name} failed (${why}), so this check could not be completed; nothing is assumed about the record.`,
    `Check that the domain's name servers answer ${response.type} queries for ${response.name}, then run the check again.`,
  );
}

export function describeFailure(response: DnsResponse): string {
  switch (response.outcome) {
    case 'timeout':
      return 'timed out';
    case 'servfail':
      return 'SERVFAIL';
    case 'refused':
      return 'REFUSED';
    default:
      return response.error ?? response.rcode ?? 'error';
  }
}

export function failed<T extends RRType>(response: DnsResponse<T>): boolean {
  return isLookupFailure(response.outcome);
}

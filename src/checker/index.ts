/**
 * The checker's entry point: one domain in, one Report out (CONTRACTS §2).
 *
 * Every check starts at once and waits only for what it needs (shared lookups
 * are de-duplicated by the caching resolver). The whole run has one wall-clock
 * budget: a check still running when it ends becomes `untested`, never a guess.
 */
import type { CheckContext, CheckOptions } from './check.ts';
import { DEFAULT_CHECK_OPTIONS, makeContext, untested, type RunResources } from './check.ts';
import { finding } from './findings.ts';
import { grade } from './grade.ts';
import { buildPlan } from './plan/index.ts';
import type { CheckId, CheckResult, Report } from './types.ts';
import { CHECK_IDS } from './types.ts';
import type { Resolver } from './dns/types.ts';
import { checkMx } from './checks/mx.ts';
import { checkSpf } from './checks/spf/index.ts';
import { checkDmarc } from './checks/dmarc/index.ts';
import { checkDkim } from './checks/dkim/index.ts';
import { checkTlsRpt } from './checks/tls-rpt.ts';
import { checkDnssec } from './checks/dnssec.ts';
import { checkMtaSts, mtaStsMode } from './checks/mta-sts/index.ts';
import { checkStartTls } from './checks/starttls.ts';
import { checkDane } from './checks/dane.ts';
import { checkBimi } from './checks/bimi/index.ts';

/** A check, given the context and access to the other checks' results (e.g. STARTTLS reads the MTA-STS mode). */
export type CheckFn = (ctx: CheckContext, results: (id: CheckId) => Promise<CheckResult>) => Promise<CheckResult>;

/** The checks this version performs; the others are reported as not checked. */
export const CHECKS: Partial<Record<CheckId, CheckFn>> = {
  mx: checkMx,
  spf: checkSpf,
  dkim: checkDkim,
  dmarc: checkDmarc,
  mta_sts: checkMtaSts,
  tls_rpt: checkTlsRpt,
  dnssec: checkDnssec,
  dane: (ctx) => checkDane(ctx),
  bimi: (ctx, results) => checkBimi(ctx, { dmarc: () => results('dmarc') }),
  // certificate problems escalate under an MTA-STS enforce policy (RFC 8461 §4.2)
  starttls: (ctx, results) => checkStartTls(ctx, { mtaStsMode: async () => mtaStsMode(await results('mta_sts')) }),
};

export interface CheckDomainOptions {
  resolver: Resolver;
  options?: Partial<CheckOptions>;
  signal?: AbortSignal;
  /** for tests: the clock */
  now?: () => Date;
  /** run-wide caches shared across domains (one is made per call when absent) */
  resources?: RunResources;
  /** override the check table (tests, partial runs) */
  checks?: Partial<Record<CheckId, CheckFn>>;
}

class BudgetExceeded extends Error {}
class DomainMissing extends Error {}

/** Check one already-normalised domain (see `normalizeDomain`). */
export async function checkDomain(domain: string, input: string, run: CheckDomainOptions): Promise<Report> {
  const now = run.now ?? (() => new Date());
  const started = now();
  const t0 = performance.now();
  const options: CheckOptions = { ...DEFAULT_CHECK_OPTIONS, ...run.options };
  // a plain timer (cleared when the report is done) rather than AbortSignal.timeout, whose pending
  // timer would keep this run's whole context alive until the budget expired
  const budgetCtl = new AbortController();
  const budget = budgetCtl.signal;
  const timer = setTimeout(() => budgetCtl.abort(new BudgetExceeded()), options.timeoutMs);
  // NXDOMAIN for the domain itself ends every other check at once: nothing below it exists
  const missingCtl = new AbortController();
  const signal = AbortSignal.any([budget, missingCtl.signal, ...(run.signal ? [run.signal] : [])]);
  const ctx = makeContext({ domain, resolver: run.resolver, signal, options, ...(run.resources ? { resources: run.resources } : {}) });
  const table = run.checks ?? CHECKS;

  // The domain's own existence decides whether anything else is worth saying (dns.nxdomain).
  const existence = run.resolver.query(domain, 'MX', { signal }).catch(() => undefined);
  const isMissing = (r: Awaited<typeof existence>): boolean => r?.outcome === 'nxdomain' && r.cnames.length === 0;
  void existence.then((r) => {
    if (isMissing(r)) missingCtl.abort(new DomainMissing());
  });

  const deadline = new Promise<never>((_, reject) => {
    const fail = () => reject(run.signal?.aborted ? run.signal.reason : missingCtl.signal.aborted ? new DomainMissing() : new BudgetExceeded());
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
  deadline.catch(() => undefined);

  // each check runs once; a check that needs another's result awaits the same promise
  const runs = new Map<CheckId, Promise<CheckResult>>();
  const resultOf = (id: CheckId): Promise<CheckResult> => {
    let p = runs.get(id);
    if (!p) {
      p = runOne(id);
      runs.set(id, p);
    }
    return p;
  };
  const runOne = async (id: CheckId): Promise<CheckResult> => {
    const fn = table[id];
    if (!fn) return untested(id, 'not checked in this version');
    try {
      return await Promise.race([fn(ctx, resultOf), deadline]);
    } catch (err) {
      if (run.signal?.aborted) throw run.signal.reason;
      if (err instanceof DomainMissing || missingCtl.signal.aborted) return untested(id, `skipped: ${domain} does not exist`);
      if (err instanceof BudgetExceeded || budget.aborted) {
        return untested(id, `did not finish within the ${options.timeoutMs} ms budget`, [
          finding(
            'dns.lookup_failed',
            `The ${id} check was still waiting for DNS or network answers when the ${options.timeoutMs} ms budget ran out, so nothing is assumed about it.`,
            `Run the check again; if it keeps timing out, check that ${domain}'s name servers answer promptly (or raise --timeout-ms).`,
          ),
        ], { error: 'timeout' });
      }
      // a bug in a check must not take the report down with it
      return untested(id, `could not be completed: ${(err as Error).message}`, [], { error: String((err as Error).stack ?? err) });
    }
  };
  const running = CHECK_IDS.map(resultOf);

  let checks: CheckResult[];
  try {
    checks = await Promise.all(running);
  } finally {
    clearTimeout(timer);
  }
  const mxAnswer = await existence;
  if (isMissing(mxAnswer)) {
    checks = checks.map((c) => (c.id === 'mx' ? nxdomainResult(domain) : untested(c.id, `skipped: ${domain} does not exist`)));
  }
  const { grade: letter, score } = grade(checks);
  const plan = buildPlan({ domain, checks, checkedAt: started.toISOString() });
  return {
    schema: 'posture.report/v1',
    domain,
    input,
    checkedAt: started.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    grade: letter,
    score,
    checks,
    plan,
  };
}

function nxdomainResult(domain: string): CheckResult {
  const f = finding(
    'dns.nxdomain',
    `${domain} does not exist in DNS (NXDOMAIN), so no mail can be sent to it and nothing else was checked.`,
    `Check the spelling of the domain. If it should exist, make sure it is registered and delegated to working name servers.`,
  );
  return { id: 'mx', status: 'fail', summary: `${domain} does not exist (NXDOMAIN)`, evidence: { rcode: 'NXDOMAIN' }, findings: [f] };
}

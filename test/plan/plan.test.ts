import { describe, expect, it } from 'vitest';
import { grade } from '../../src/checker/grade.ts';
import { buildPlan, MAX_PLAN_STEPS, planSchema, renderPlanText } from '../../src/checker/plan/index.ts';
import type { CheckResult } from '../../src/checker/types.ts';
import { DOMAIN, bestScore, check, f, report, untested } from './helpers.ts';

const dmarcRecord = (record: string, codes: Parameters<typeof check>[1]): CheckResult =>
  check('dmarc', codes, { location: `_dmarc.${DOMAIN}`, record, inherited: false, policy: 'none' });

const stsTesting = (extra: Parameters<typeof check>[1] = [], policy: Record<string, unknown> = {}, mxHosts?: unknown): CheckResult =>
  check('mta_sts', ['mta_sts.mode_testing', ...extra], {
    txtName: `_mta-sts.${DOMAIN}`,
    policyUrl: `https://mta-sts.${DOMAIN}/.well-known/mta-sts.txt`,
    effectiveMode: 'testing',
    policy: { version: 'STSv1', mode: 'testing', maxAge: 86400 * 10, mx: ['mx1.example.com', 'mx2.example.com'], ...policy },
    ...(mxHosts ? { mxHosts } : {}),
  });

describe('buildPlan', () => {
  it('has nothing to do for a domain where everything passes', () => {
    const plan = buildPlan(report());
    expect(plan).toEqual([]);
    expect(renderPlanText(plan)).toMatch(/Nothing to do/);
  });

  it('skips info findings that cost no points, and untested checks', () => {
    const plan = buildPlan(report({
      mx: check('mx', ['mx.no_ipv6']),
      dane: check('dane', ['dane.missing']),
      bimi: check('bimi', ['bimi.missing']),
      dmarc: untested('dmarc'),
      starttls: untested('starttls'),
      spf: untested('spf'),
    }));
    expect(plan).toEqual([]);
  });

  it('resolves a neutral info finding only where the same fix ends it', () => {
    const plan = buildPlan(report({
      dkim: check('dkim', ['dkim.not_found', 'dkim.domainkey_nxdomain']),
      dane: check('dane', ['dane.tlsa_insecure', 'dane.missing']),
    }));
    expect(plan.find((s) => s.check === 'dkim')!.codes).toEqual(['dkim.not_found', 'dkim.domainkey_nxdomain']);
    expect(plan.find((s) => s.check === 'dane')!.codes).toEqual(['dane.tlsa_insecure']);
  });

  it('plans for an info finding the rubric scores below a pass (MTA-STS mode none)', () => {
    const plan = buildPlan(report({ mta_sts: check('mta_sts', ['mta_sts.mode_none']) }));
    expect(plan.map((s) => s.codes)).toEqual([['mta_sts.mode_none'], ['mta_sts.mode_testing']]);
    expect(plan[1]!.title).toMatch(/enforce/);
  });

  it('has nothing to plan for a domain that does not exist', () => {
    const checks = report().checks.map((c) => (c.id === 'mx' ? check('mx', ['dns.nxdomain']) : untested(c.id)));
    expect(buildPlan({ domain: DOMAIN, checks })).toEqual([]);
  });

  it('gives a DMARC p=none domain a quarantine step (reject earns no more, so it is not a step)', () => {
    const r = report({
      dmarc: dmarcRecord('v=DMARC1; p=none; rua=mailto:reports@example.com', [
        f('dmarc.policy_none', 'Once the reports show your mail passing: _dmarc.example.com TXT "v=DMARC1; p=quarantine; rua=mailto:reports@example.com" (then p=reject).'),
      ]),
    });
    const plan = buildPlan(r);
    expect(plan).toHaveLength(1);
    const [q] = plan;
    expect(q!.check).toBe('dmarc');
    expect(q!.codes).toEqual(['dmarc.policy_none']);
    expect(q!.action).toBe('_dmarc.example.com TXT "v=DMARC1; p=quarantine; rua=mailto:reports@example.com"');
    expect(q!.waitFor).toMatch(/two weeks of DMARC aggregate reports \(sent to mailto:reports@example\.com\)/);
    expect(q!.why).toMatch(/p=reject/);
    expect(q!.gradeAfter).toBe('A');
    expect(q!.scoreAfter).toBe(100);
    expect(grade(r.checks).grade).toBe('C');
  });

  it('adds the report address before enforcing, and keeps it in the enforcing record', () => {
    const plan = buildPlan(report({ dmarc: dmarcRecord('v=DMARC1; p=none', ['dmarc.policy_none', 'dmarc.no_rua']) }));
    expect(plan.map((s) => s.codes)).toEqual([['dmarc.no_rua'], ['dmarc.policy_none']]);
    expect(plan[0]!.action).toBe('_dmarc.example.com TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com"');
    expect(plan[0]!.waitFor).toBeUndefined();
    expect(plan[1]!.action).toBe('_dmarc.example.com TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.com"');
    expect(plan[1]!.waitFor).toContain('mailto:dmarc-reports@example.com');
    expect(plan[0]!.gradeAfter).toBe('C');
    expect(plan[1]!.gradeAfter).toBe('A');
  });

  it('takes DMARC out of testing mode when t=y weakens an enforcing policy', () => {
    const plan = buildPlan(report({
      dmarc: check('dmarc', ['dmarc.policy_none'], {
        location: `_dmarc.${DOMAIN}`, record: 'v=DMARC1; p=reject; t=y; rua=mailto:d@example.com', inherited: false, policy: 'reject', testing: true,
      }),
    }));
    expect(plan).toHaveLength(1);
    expect(plan[0]!.title).toMatch(/t=y/);
    expect(plan[0]!.action).toBe('_dmarc.example.com TXT "v=DMARC1; p=reject; rua=mailto:d@example.com"');
  });

  it('falls back to the finding\'s own fix when the report carries no record to rewrite', () => {
    const fix = 'Publish a policy for example.com itself: _dmarc.example.com TXT "v=DMARC1; p=quarantine; rua=mailto:d@parent.example"';
    const plan = buildPlan(report({ dmarc: check('dmarc', [f('dmarc.policy_none', fix)], { inherited: true }) }));
    expect(plan[0]!.action).toBe(fix);
  });

  it('lets the DMARC enforce step resolve BIMI\'s DMARC precondition too', () => {
    const plan = buildPlan(report({
      dmarc: dmarcRecord('v=DMARC1; p=none; sp=none; rua=mailto:d@example.com', ['dmarc.policy_none']),
      bimi: check('bimi', ['bimi.dmarc_not_enforced', 'bimi.no_vmc']),
    }));
    const enforce = plan.find((s) => s.codes.includes('dmarc.policy_none'))!;
    expect(enforce.codes).toContain('bimi.dmarc_not_enforced');
    // BIMI wants all subdomains covered: sp=none goes
    expect(enforce.action).toBe('_dmarc.example.com TXT "v=DMARC1; p=quarantine; rua=mailto:d@example.com"');
    expect(plan.filter((s) => s.codes.includes('bimi.dmarc_not_enforced'))).toHaveLength(1);
  });

  it('puts the capped anti-spoofing problem first', () => {
    const plan = buildPlan(report({
      spf: check('spf', [f('spf.too_many_lookups', 'Cut 3 or more lookups: drop include:old.example.')]),
      dnssec: check('dnssec', ['dnssec.unsigned']),
      tls_rpt: check('tls_rpt', ['tls_rpt.missing']),
      dkim: check('dkim', ['dkim.key_1024']),
    }));
    expect(plan[0]!.check).toBe('spf');
    expect(plan[0]!.codes).toEqual(['spf.too_many_lookups']);
    expect(plan[0]!.action).toBe('Cut 3 or more lookups: drop include:old.example.');
    expect(plan).toHaveLength(4);
  });

  it('orders a failing fix before a warning that gains as much', () => {
    // both are worth 10 points: MX fails (all of its 10), SPF warns (half of its 20); SPF comes first in the rubric
    const r = report({
      spf: check('spf', ['spf.neutral_all']),
      mx: check('mx', ['mx.target_is_cname']),
    });
    const plan = buildPlan(r);
    expect(plan.map((s) => s.check)).toEqual(['mx', 'spf']);
    // 80 points plus the DANE and BIMI bonus (7): either step alone reaches 97
    expect(plan.map((s) => s.scoreAfter)).toEqual([97, 100]);
  });

  it('merges findings whose fixes are the same into one action line', () => {
    const host = 'Renew the certificate of mx1.example.com and serve the full chain.';
    const plan = buildPlan(report({
      starttls: check('starttls', [
        f('starttls.cert_expired', host),
        f('starttls.cert_untrusted', host),
        f('starttls.legacy_protocol', 'Disable TLS 1.0 and 1.1 on mx2.example.com.'),
      ]),
    }));
    expect(plan).toHaveLength(1);
    expect(plan[0]!.codes.sort()).toEqual(['starttls.cert_expired', 'starttls.cert_untrusted', 'starttls.legacy_protocol']);
    expect(plan[0]!.action.split('\n')).toEqual([host, 'Disable TLS 1.0 and 1.1 on mx2.example.com.']);
  });

  it('combines SPF rewrites of the same record into one record, so one fix does not undo the other', () => {
    const plan = buildPlan(report({
      spf: check('spf', [
        f('spf.pass_all', 'List your senders and refuse the rest: v=spf1 ptr mx -all'),
        f('spf.ptr_used', 'Replace it with ip4:/ip6: terms, e.g. v=spf1 mx +all plus those terms before the all.'),
        f('spf.lookups_near_limit', 'Keep headroom: replace a/mx terms with ip4:/ip6: addresses.'),
      ], { record: 'v=spf1 ptr mx +all' }),
    }));
    expect(plan).toHaveLength(1);
    expect(plan[0]!.codes.sort()).toEqual(['spf.lookups_near_limit', 'spf.pass_all', 'spf.ptr_used']);
    const lines = plan[0]!.action.split('\n');
    expect(lines[0]).toMatch(/^Publish one TXT record at example\.com .*: v=spf1 mx -all$/);
    expect(lines.slice(1)).toEqual(['Keep headroom: replace a/mx terms with ip4:/ip6: addresses.']);
  });

  it('uses the SPF check\'s own fix as it stands when there is nothing to combine', () => {
    const fix = 'List your senders and refuse the rest: v=spf1 include:_spf.mail.example -all';
    const plan = buildPlan(report({ spf: check('spf', [f('spf.pass_all', fix)], { record: 'v=spf1 include:_spf.mail.example +all' }) }));
    expect(plan[0]!.action).toBe(fix);
  });

  it('stages MTA-STS: enforce only after TLS-RPT and the certificate fixes, with the policy rewritten', () => {
    const plan = buildPlan(report({
      mta_sts: stsTesting(),
      tls_rpt: check('tls_rpt', [f('tls_rpt.missing', 'Publish: _smtp._tls.example.com. IN TXT "v=TLSRPTv1; rua=mailto:tls@example.com"')]),
      starttls: check('starttls', [f('starttls.cert_hostname_mismatch', 'Install a certificate for mx2.example.com.')]),
    }));
    const keys = plan.map((s) => s.codes[0]);
    expect(keys).toContain('tls_rpt.missing');
    expect(keys).toContain('starttls.cert_hostname_mismatch');
    const enforce = plan.findIndex((s) => s.codes.includes('mta_sts.mode_testing'));
    expect(enforce).toBe(plan.length - 1);
    const e = plan[enforce]!;
    expect(e.action).toContain(['version: STSv1', 'mode: enforce', 'mx: mx1.example.com', 'mx: mx2.example.com', 'max_age: 1209600'].join('\n'));
    expect(e.action).toContain('https://mta-sts.example.com/.well-known/mta-sts.txt');
    // a new id, dated after the observation period
    expect(e.action).toContain('_mta-sts.example.com. TXT "v=STSv1; id=20261213100000"');
    expect(e.waitFor).toBe('TLS-RPT reports (sent to mailto:tls@example.com) to show no failures for example.com\'s MX hosts for two weeks');
  });

  it('fixes MX coverage in the testing policy before enforcing it', () => {
    const plan = buildPlan(report({
      mta_sts: stsTesting(
        [f('mta_sts.mx_not_covered', 'Add "mx: mx3.example.com".', 'warn')],
        { mx: ['mx1.example.com'] },
        [{ host: 'mx1.example.com', coveredBy: 'mx1.example.com' }, { host: 'mx3.other.example', coveredBy: null }],
      ),
    }));
    expect(plan.map((s) => s.codes)).toEqual([['mta_sts.mx_not_covered'], ['mta_sts.mode_testing']]);
    expect(plan[0]!.action).toContain('mode: testing\nmx: mx1.example.com\nmx: mx3.other.example\nmax_age: 864000');
    expect(plan[1]!.action).toContain('mode: enforce\nmx: mx1.example.com\nmx: mx3.other.example\nmax_age: 1209600');
  });

  it('starts a missing MTA-STS policy in testing mode, then enforces it', () => {
    const policy = 'version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 604800\n';
    const plan = buildPlan(report({
      mta_sts: check('mta_sts', ['mta_sts.missing'], {
        suggestedPolicy: { policy, txtRecord: '_mta-sts.example.com. TXT "v=STSv1; id=20261129100000"' },
      }),
    }));
    expect(plan.map((s) => s.codes)).toEqual([['mta_sts.missing'], ['mta_sts.mode_testing']]);
    expect(plan[0]!.action).toContain(policy.trimEnd());
    expect(plan[0]!.action).toContain('_mta-sts.example.com. TXT "v=STSv1; id=20261129100000"');
    expect(plan[0]!.waitFor).toBeUndefined();
    expect(plan[1]!.action).toContain('mode: enforce\nmx: mail.example.com\nmax_age: 1209600');
    expect(plan[1]!.waitFor).toMatch(/^TLS-RPT reports/);
    expect(plan[0]!.scoreAfter).toBeLessThanOrEqual(plan[1]!.scoreAfter);
    expect(plan[1]!.gradeAfter).toBe('A');
  });

  it('does not plan the transport controls of a null-MX domain', () => {
    const plan = buildPlan(report({
      mx: check('mx', ['mx.null_mx']),
      mta_sts: check('mta_sts', [f('mta_sts.missing', 'Nothing to do.', 'info')]),
      tls_rpt: check('tls_rpt', [f('tls_rpt.missing', 'Nothing to do.', 'info')]),
      starttls: check('starttls', ['starttls.not_offered']),
      dnssec: check('dnssec', ['dnssec.mx_zone_unsigned']),
      spf: check('spf', ['spf.neutral_all']),
    }));
    expect(plan.map((s) => s.check)).toEqual(['spf']);
  });

  it('is bounded, and every step resolves something and never lowers the grade', () => {
    const r = report({
      mx: check('mx', ['mx.no_fcrdns']),
      spf: check('spf', ['spf.pass_all', 'spf.ptr_used']),
      dkim: check('dkim', ['dkim.key_1024']),
      dmarc: check('dmarc', ['dmarc.missing']),
      mta_sts: check('mta_sts', ['mta_sts.missing']),
      tls_rpt: check('tls_rpt', ['tls_rpt.missing']),
      dnssec: check('dnssec', ['dnssec.unsigned']),
      starttls: check('starttls', ['starttls.weak_cipher']),
      dane: check('dane', ['dane.tlsa_insecure']),
      bimi: check('bimi', ['bimi.svg_invalid']),
    });
    const plan = buildPlan(r);
    expect(plan).toHaveLength(MAX_PLAN_STEPS);
    expect(planSchema.safeParse(plan).success).toBe(true);
    let prev = grade(r.checks).score;
    for (const s of plan) {
      expect(s.codes.length).toBeGreaterThan(0);
      expect(s.scoreAfter).toBeGreaterThanOrEqual(prev);
      prev = s.scoreAfter;
    }
    expect(plan.slice(0, 2).map((s) => s.check).sort()).toEqual(['dmarc', 'spf']);
    expect(buildPlan(r, { maxSteps: 3 })).toEqual(plan.slice(0, 3));
    // with room for everything, it reaches the best grade
    const all = buildPlan(r, { maxSteps: 20 });
    expect(all.at(-1)!.scoreAfter).toBe(bestScore(r.checks).score);
  });

  it('is deterministic, whatever the order of the checks in the report', () => {
    const r = report({
      spf: check('spf', ['spf.neutral_all']),
      tls_rpt: check('tls_rpt', ['tls_rpt.missing']),
      dnssec: check('dnssec', ['dnssec.unsigned']),
      mx: check('mx', ['mx.no_fcrdns']),
    });
    const plan = buildPlan(r);
    expect(buildPlan(r)).toEqual(plan);
    expect(buildPlan({ ...r, checks: [...r.checks].reverse() })).toEqual(plan);
  });
});

describe('renderPlanText', () => {
  it('numbers the steps, shows the grade after each, and indents the action', () => {
    const text = renderPlanText(buildPlan(report({
      dmarc: dmarcRecord('v=DMARC1; p=none', ['dmarc.policy_none', 'dmarc.no_rua']),
    })));
    expect(text).toBe([
      '1. Add a DMARC report address (rua) → grade C (score 79)',
      '   message for dmarc.no_rua.',
      '   Do:',
      '       _dmarc.example.com TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com"',
      '',
      '2. Enforce DMARC (p=quarantine) → grade A (score 100)',
      '   message for dmarc.policy_none. With p=quarantine receivers send mail that fails DMARC to spam; once that has run cleanly for a while, the same record with p=reject has it refused outright.',
      '   First wait for two weeks of DMARC aggregate reports (sent to mailto:dmarc-reports@example.com) showing all your legitimate mail passing SPF or DKIM aligned; then:',
      '       _dmarc.example.com TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.com"',
    ].join('\n'));
  });
});

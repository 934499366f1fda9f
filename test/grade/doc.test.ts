/** docs/grading.md and `posture explain grade` come from the same rubric data. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RUBRIC, grade, rubricMarkdown } from '../../src/checker/grade.ts';
import type { CheckId, CheckResult } from '../../src/checker/types.ts';
import { check, report, untestedCheck } from './helpers.ts';
import { DOC_PATH, generatedBlock } from './update-doc.ts';

const doc = readFileSync(DOC_PATH, 'utf8');

describe('docs/grading.md', () => {
  it('carries the rubric tables generated from the code (run `node test/grade/update-doc.ts` after changing the rubric)', () => {
    expect(generatedBlock(doc)).toBe(rubricMarkdown() + '\n');
  });

  it('states the weights, bands and caps of the rubric', () => {
    for (const c of RUBRIC.controls) expect(doc).toContain(`${c.name} (\`${c.id}\`)`);
    for (const cap of RUBRIC.caps) for (const code of cap.codes) expect(doc).toContain(`\`${code}\``);
    expect(doc).toContain('| A | 90–100 |');
  });

  describe('worked example', () => {
    const typical = (o: Partial<Record<CheckId, CheckResult>> = {}) =>
      report({
        spf: check('spf', 'spf.softfail_all'),
        mx: check('mx', 'mx.no_ipv6'),
        mta_sts: check('mta_sts', 'mta_sts.missing'),
        tls_rpt: check('tls_rpt', 'tls_rpt.missing'),
        dnssec: check('dnssec', 'dnssec.unsigned'),
        dane: check('dane', 'dane.missing'),
        bimi: check('bimi', 'bimi.missing'),
        ...o,
      });
    const dane = check('dane');
    const cases: [string, CheckResult[]][] = [
      ['the hosted domain', typical()],
      ['with DANE', typical({ dane })],
      ['with DANE and p=none', typical({ dane, dmarc: check('dmarc', 'dmarc.policy_none') })],
      ['with DANE and 13 SPF lookups', typical({ dane, spf: check('spf', 'spf.too_many_lookups') })],
      ['with port 25 blocked', typical({ starttls: untestedCheck('starttls'), dane: untestedCheck('dane') })],
    ];
    const stated = [...doc.slice(doc.indexOf('## 6. Worked example')).matchAll(/\*\*score (\d+), grade ([A-F])\.\*\*/g)]
      .map((m) => `score ${m[1]}, grade ${m[2]}`);

    it('states one result per case', () => {
      expect(stated).toHaveLength(cases.length);
    });
    it.each(cases.map(([name, checks], i) => [name, checks, i] as const))('%s', (_name, checks, i) => {
      const r = grade(checks);
      expect(stated[i]).toBe(`score ${r.score}, grade ${r.grade}`);
    });
    it('table matches the breakdown', () => {
      const r = grade(typical());
      expect(r.breakdown.earned).toBe(87.5);
      for (const c of r.breakdown.controls) {
        const name = RUBRIC.controls.find((x) => x.id === c.id)!.name;
        const row = doc.split('\n').find((l) => l.startsWith(`| ${name} |`));
        expect(row, name).toBeDefined();
        if (c.role === 'required') expect(row).toContain(`${c.earned} of ${c.possible}`);
        else expect(row).toContain('neutral');
      }
    });
  });
});

/** Every finding code's prose, one entry per code (the type makes a missing code a compile error). */
import type { FindingCode } from '../../../checker/findings.ts';
import type { FindingText } from './text.ts';
import { DNS_TEXTS, MX_TEXTS } from './dns-mx.ts';
import { SPF_TEXTS } from './spf.ts';
import { DMARC_TEXTS } from './dmarc.ts';
import { DKIM_TEXTS } from './dkim.ts';
import { MTA_STS_TEXTS, TLS_RPT_TEXTS } from './mta-sts.ts';
import { DNSSEC_TEXTS, DANE_TEXTS } from './dnssec-dane.ts';
import { BIMI_TEXTS } from './bimi.ts';
import { STARTTLS_TEXTS } from './starttls.ts';

export type { FindingText } from './text.ts';

export const FINDING_TEXTS: Record<FindingCode, FindingText> = {
  ...DNS_TEXTS,
  ...MX_TEXTS,
  ...SPF_TEXTS,
  ...DMARC_TEXTS,
  ...DKIM_TEXTS,
  ...MTA_STS_TEXTS,
  ...TLS_RPT_TEXTS,
  ...DNSSEC_TEXTS,
  ...DANE_TEXTS,
  ...BIMI_TEXTS,
  ...STARTTLS_TEXTS,
};

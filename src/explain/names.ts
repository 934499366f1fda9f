/** Display names of the checks, as domain owners know them. */
import type { CheckId } from '../checker/types.ts';

export const CHECK_NAMES: Record<CheckId, string> = {
  mx: 'MX', spf: 'SPF', dkim: 'DKIM', dmarc: 'DMARC', mta_sts: 'MTA-STS', tls_rpt: 'TLS-RPT',
  dnssec: 'DNSSEC', dane: 'DANE', bimi: 'BIMI', starttls: 'STARTTLS',
};

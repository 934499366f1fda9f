/** Finding topics: bimi.* (CONTRACTS §3; the BIMI Internet-Draft). */
import type { AreaTexts } from './text.ts';

export const BIMI_TEXTS: AreaTexts<'bimi'> = {
  'bimi.missing': {
    means: 'The domain has no BIMI record at default._bimi.<domain>.',
    matters: 'Only that your logo is not shown next to your mail. BIMI is branding, not protection.',
    fix: 'If you want it: enforce DMARC first, then publish "v=BIMI1; l=https://<host>/logo.svg; a=https://<host>/vmc.pem" at default._bimi.<domain>.',
  },
  'bimi.record_invalid': {
    means: 'The BIMI record is malformed: for example it does not start with "v=BIMI1;", or l= or a= is not an HTTPS URL.',
    matters: 'Mailbox providers ignore an invalid record, so no logo is shown.',
    fix: 'Publish "v=BIMI1; l=https://<host>/logo.svg; a=https://<host>/vmc.pem" (leave a= empty if you have no certificate).',
  },
  'bimi.dmarc_not_enforced': {
    means: 'The domain publishes BIMI, but its DMARC policy does not enforce (p=quarantine or p=reject).',
    matters: 'BIMI requires an enforcing DMARC policy, so no provider will show the logo.',
    fix: 'Move DMARC to p=quarantine or p=reject, with no sp=none (and pct=100 if you use pct).',
    seeAlso: ['dmarc'],
  },
  'bimi.svg_invalid': {
    means: 'The logo is not valid SVG Tiny PS, the profile BIMI requires: for example the root lacks version="1.2" and baseProfile="tiny-ps", there is no <title>, or it contains scripts, animation or external references.',
    matters: 'Mailbox providers refuse logos that do not follow the profile.',
    fix: 'Export or convert the logo to SVG Tiny PS (several design tools and converters can) and check it with a BIMI validator.',
  },
  'bimi.svg_not_square': {
    means: 'The logo is not square (its width and height differ).',
    matters: 'Mailbox providers show the logo in a square or circle, so a non-square logo may be cropped or distorted.',
    fix: 'Give the SVG a square viewBox, with the logo centred on a solid background.',
  },
  'bimi.no_vmc': {
    means: 'The BIMI record has no a= mark certificate.',
    matters: 'Several large mailbox providers show a logo only with a Verified Mark Certificate (or similar mark certificate), so without one the logo may be shown by few or none.',
    fix: 'Obtain a mark certificate for your logo from an authorised issuer and publish its URL in a=.',
  },
  'bimi.vmc_invalid': {
    means: 'The mark certificate at a= is not valid: for example it does not parse, is expired or not yet valid, does not cover the domain, or embeds a different logo from l=. (Posture does not check the chain to a mark verifying authority.)',
    matters: 'Providers that require a certificate will not show the logo.',
    fix: 'Renew or reissue the certificate for this domain, and make sure l= serves the same SVG that the certificate embeds.',
  },
};

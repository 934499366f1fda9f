/** Finding topics: dkim.* (CONTRACTS §3; RFC 6376, RFC 8301, RFC 8463). */
import type { AreaTexts } from './text.ts';

export const DKIM_TEXTS: AreaTexts<'dkim'> = {
  'dkim.not_found': {
    means: 'Posture found no DKIM key at the selectors it tried (the report lists them).',
    matters: 'This does not prove DKIM is missing: keys live at <selector>._domainkey.<domain>, and selectors cannot be listed from DNS. If you really do not sign, DMARC depends on SPF alone, which breaks when mail is forwarded.',
    fix: 'Look at the DKIM-Signature header of a message you sent: s= is the selector, d= the domain. Run again with --dkim-selectors <selector>. If nothing signs your mail, turn DKIM on at your mail provider.',
  },
  'dkim.domainkey_nxdomain': {
    means: 'The name _domainkey.<domain> does not exist in DNS (NXDOMAIN).',
    matters: 'Under RFC 8020 that means nothing exists below it either, so the domain has no DKIM keys at all. Some DNS servers answer NXDOMAIN wrongly for names that only have children, so treat this as a strong hint rather than proof.',
    fix: 'If your mail should be signed, turn DKIM on at your mail provider and publish the key record it gives you.',
  },
  'dkim.key_revoked': {
    means: 'A DKIM key record has an empty p= tag, which means the key is revoked.',
    matters: 'Signatures made with this selector fail. That is normal for a retired selector; it is a problem only if something still signs with it.',
    fix: 'Nothing, if retired on purpose. Otherwise publish a new key and have your mail system sign with it.',
  },
  'dkim.key_too_short': {
    means: 'A DKIM key is an RSA key shorter than 1024 bits.',
    matters: 'RFC 8301 §3.2 forbids verifiers to accept such keys, so signatures made with it do not count, and keys this short can be broken.',
    fix: 'Generate a 2048-bit RSA key under a new selector, publish it, switch signing to it, then revoke the old one (empty p=).',
  },
  'dkim.key_1024': {
    means: 'A DKIM key is an RSA key of at least 1024 but fewer than 2048 bits.',
    matters: 'Receivers still accept it, but RFC 8301 §3.2 says signers should use 2048 bits or more; 1024-bit RSA is considered weak.',
    fix: 'Generate a 2048-bit key under a new selector, publish it, switch signing to it, then revoke the old one (empty p=).',
  },
  'dkim.sha1_only': {
    means: 'The key record has h=sha1, so it allows only SHA-1 signatures.',
    matters: 'RFC 8301 §3.1 says rsa-sha1 must not be used for signing or verifying, so receivers do not accept these signatures.',
    fix: 'Remove the h= tag (or set h=sha256) and make sure your mail system signs with rsa-sha256.',
  },
  'dkim.testing_mode': {
    means: 'The key record has t=y: the domain says it is testing DKIM.',
    matters: 'RFC 6376 §3.6.1 tells receivers not to treat your mail differently from unsigned mail, so your signatures may earn you nothing.',
    fix: 'Once signing works, remove y from the t= tag.',
  },
  'dkim.invalid_record': {
    means: 'A DKIM key record is malformed: for example v= is not DKIM1, k= names an unknown key type, p= is not valid base64 key data, or the selector has several TXT records.',
    matters: 'Receivers cannot use the key, so signatures made with this selector fail.',
    fix: 'Republish the record exactly as your mail provider gives it, in one TXT record (long keys may be split into several strings within it).',
  },
  'dkim.service_type_excludes_email': {
    means: 'The key record has an s= (service type) tag that includes neither "email" nor "*".',
    matters: 'Receivers must not use such a key for email, so signatures made with it fail.',
    fix: 'Remove the s= tag, or set s=email.',
  },
};

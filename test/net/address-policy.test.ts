import { describe, expect, it } from 'vitest';
import { checkAddress, isAddressAllowed } from '../../src/checker/net/address-policy.ts';

const DENY = { allowPrivateNetworks: false };
const ALLOW = { allowPrivateNetworks: true };

// [address, range, allowed by default, allowed with --allow-private-networks]
const TABLE: Array<[string, string, boolean, boolean]> = [
  // IPv4 public and documentation
  ['8.8.8.8', 'unicast', true, true],
  ['93.184.216.34', 'unicast', true, true],
  ['192.0.2.10', 'documentation', true, true],
  ['198.51.100.7', 'documentation', true, true],
  ['203.0.113.200', 'documentation', true, true],
  // IPv4 lab space: opened by the option
  ['127.0.0.1', 'loopback', false, true],
  ['127.8.9.10', 'loopback', false, true],
  ['10.0.0.1', 'private', false, true],
  ['172.16.5.4', 'private', false, true],
  ['172.31.255.255', 'private', false, true],
  ['192.168.1.1', 'private', false, true],
  ['169.254.169.254', 'linkLocal', false, true],
  ['100.64.0.1', 'carrierGradeNat', false, true],
  ['100.127.255.254', 'carrierGradeNat', false, true],
  // IPv4 never
  ['0.0.0.0', 'unspecified', false, false],
  ['0.1.2.3', 'unspecified', false, false],
  ['255.255.255.255', 'broadcast', false, false],
  ['224.0.0.1', 'multicast', false, false],
  ['239.255.255.250', 'multicast', false, false],
  ['240.0.0.1', 'reserved', false, false],
  ['192.0.0.8', 'reserved', false, false],
  // just outside the ranges
  ['172.32.0.1', 'unicast', true, true],
  ['100.128.0.1', 'unicast', true, true],
  ['11.0.0.1', 'unicast', true, true],
  // IPv6
  ['2606:4700:4700::1111', 'unicast', true, true],
  ['2001:db8::25', 'documentation', true, true],
  ['::1', 'loopback', false, true],
  ['fc00::1', 'uniqueLocal', false, true],
  ['fd12:3456:789a::1', 'uniqueLocal', false, true],
  ['fe80::1', 'linkLocal', false, true],
  ['fe80::1%eth0', 'linkLocal', false, true],
  ['::', 'unspecified', false, false],
  ['ff02::1', 'multicast', false, false],
  ['64:ff9b::a00:1', 'rfc6052', false, false],
  ['2002:a00:1::1', '6to4', false, false],
  ['2001::1', 'teredo', false, false],
  // IPv4-mapped IPv6 is judged as its IPv4 address
  ['::ffff:127.0.0.1', 'loopback', false, true],
  ['::ffff:7f00:1', 'loopback', false, true],
  ['::ffff:10.0.0.1', 'private', false, true],
  ['::ffff:169.254.169.254', 'linkLocal', false, true],
  ['::ffff:0.0.0.0', 'unspecified', false, false],
  ['::ffff:8.8.8.8', 'unicast', true, true],
  ['[::ffff:10.0.0.1]', 'private', false, true],
  // IPv4-compatible (deprecated) too
  ['::10.0.0.1', 'private', false, true],
  ['::127.0.0.1', 'loopback', false, true],
  ['::8.8.8.8', 'unicast', true, true],
];

describe('address policy', () => {
  it.each(TABLE)('%s is %s (default: %s, allowed: %s)', (ip, range, byDefault, withOption) => {
    expect(checkAddress(ip, DENY).range).toBe(range);
    expect(isAddressAllowed(ip, DENY)).toBe(byDefault);
    expect(isAddressAllowed(ip, ALLOW)).toBe(withOption);
  });

  it('judges the mapped form as the IPv4 address and says so', () => {
    const v = checkAddress('::ffff:10.0.0.1', DENY);
    expect(v.address).toBe('10.0.0.1');
    expect(v.reason).toMatch(/IPv4-mapped form of 10\.0\.0\.1/);
    expect(v.reason).toMatch(/RFC 1918/);
    expect(v.reason).toMatch(/--allow-private-networks/);
  });

  it('refuses what is not an IP address', () => {
    for (const bad of ['', 'example.com', '1.2.3', '999.1.1.1', 'fe80::g']) {
      expect(checkAddress(bad, ALLOW)).toMatchObject({ allowed: false, range: 'invalid' });
    }
  });
});

/** Settings every command reads the same way: flags first, then the environment (CONTRACTS §4). */
import type { ResolverSettings } from '../checker/dns/index.ts';
import type { CheckOptions } from '../checker/check.ts';
import { UsageError } from './io.ts';
import { parseConnectTo } from '../checker/net/connect-to.ts';

export function resolverSettings(flags: { resolver?: string[] | undefined; doh?: string | undefined }, env: NodeJS.ProcessEnv): ResolverSettings {
  const doh = flags.doh ?? (env.POSTURE_DOH_URL || undefined);
  if (doh) {
    let u: URL | undefined;
    try {
      u = new URL(doh);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) throw new UsageError(`--doh needs an https:// URL, not "${doh}"`);
  }
  const servers = flags.resolver ?? (env.POSTURE_RESOLVER ? env.POSTURE_RESOLVER.split(/[\s,]+/).filter(Boolean) : undefined);
  return { ...(servers?.length ? { servers } : {}), ...(doh ? { doh } : {}) };
}

/** Check options from the environment alone (commands without check flags, e.g. `explain … for DOMAIN`, the bot). */
export function checkOptionsFromEnv(env: NodeJS.ProcessEnv): Partial<CheckOptions> {
  const connectTo = (env.POSTURE_CONNECT_TO ?? '').split(/[\s,]+/).filter(Boolean);
  for (const rule of connectTo) {
    try {
      parseConnectTo(rule);
    } catch (err) {
      throw new UsageError(`POSTURE_CONNECT_TO: ${(err as Error).message}`);
    }
  }
  return {
    smtp: env.POSTURE_NO_SMTP !== '1',
    allowPrivateNetworks: env.POSTURE_ALLOW_PRIVATE_NETWORKS === '1',
    dkimSelectors: dkimSelectorList(env.POSTURE_DKIM_SELECTORS ?? ''),
    connectTo,
  };
}

export function dkimSelectorList(raw: string): string[] {
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of list) {
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(s)) throw new UsageError(`--dkim-selectors: "${s}" is not a valid selector`);
  }
  return list;
}

/**
 * `app_uninstalled` and `tokens_revoked` (bot tokens): the installation is marked revoked in the
 * store and its secrets forgotten; its channels are never due for digests again until a new install.
 */
import { envelopeSchema, tokensRevokedSchema } from '../payloads.ts';
import type { ListenerDeps } from './shared.ts';

export interface LifecycleArgs {
  event: unknown;
  body: unknown;
}

/** The installation key: the enterprise for org-wide installs, else the team. */
export function installationKey(body: unknown): string | null {
  const b = envelopeSchema.safeParse(body).data;
  if (!b) return null;
  if (b.is_enterprise_install && b.enterprise_id) return b.enterprise_id;
  return b.team_id ?? null;
}

export function lifecycleListener(deps: ListenerDeps, onRevoked?: (workspaceId: string) => void): (args: LifecycleArgs) => Promise<void> {
  return async ({ event, body }) => {
    const type = (event as { type?: unknown } | null)?.type;
    if (type === 'tokens_revoked') {
      const t = tokensRevokedSchema.safeParse(event);
      // only the bot token matters to us (we hold no user tokens)
      if (!t.success || !t.data.tokens.bot?.length) return;
    } else if (type !== 'app_uninstalled') {
      return;
    }
    const key = installationKey(body);
    if (!key) return;
    try {
      const revoked = await deps.store.revokeInstallation({ platform: 'slack', workspaceId: key });
      deps.logger.info(`Slack workspace ${key}: ${String(type)}; installation ${revoked ? 'revoked, secrets deleted' : 'was not active'}`);
      onRevoked?.(key);
    } catch (err) {
      deps.logger.error(`could not record ${String(type)} for ${key}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}

/**
 * Bolt's `InstallationStore` over Posture's `Store` (multi-workspace OAuth). The whole Bolt
 * `Installation` object is kept as the installation's opaque `secrets`; the key is the enterprise
 * id for org-wide (Enterprise Grid) installs and the team id otherwise. `fetchInstallation` returns
 * the stored object itself (bolt-js#567/#811), and throws when there is none or it was revoked.
 */
import type { Installation, InstallationQuery, InstallationStore } from '@slack/bolt';
import type { Store } from '../../src/store/types.ts';

export function installationKeyOf(i: { isEnterpriseInstall?: boolean; enterprise?: { id: string } | undefined; team?: { id: string } | undefined }): string | null {
  if (i.isEnterpriseInstall && i.enterprise?.id) return i.enterprise.id;
  return i.team?.id ?? i.enterprise?.id ?? null;
}

function queryKey(q: InstallationQuery<boolean>): string | null {
  if (q.isEnterpriseInstall && q.enterpriseId) return q.enterpriseId;
  return q.teamId ?? q.enterpriseId ?? null;
}

/** The bot token of a stored Slack installation, or null (revoked, or installed from SLACK_BOT_TOKEN). */
export function botTokenOf(secrets: unknown): string | null {
  const bot = (secrets as { bot?: { token?: unknown } } | null)?.bot;
  return typeof bot?.token === 'string' ? bot.token : null;
}

export function storeInstallationStore(store: Store): InstallationStore {
  return {
    async storeInstallation(installation: Installation<'v1' | 'v2', boolean>) {
      const key = installationKeyOf(installation);
      if (!key) throw new Error('Slack installation without a team or enterprise id');
      await store.upsertInstallation({
        platform: 'slack',
        workspaceId: key,
        secrets: installation,
        workspaceName: installation.team?.name ?? installation.enterprise?.name ?? null,
        installedBy: installation.user?.id ?? null,
      });
    },
    async fetchInstallation(query: InstallationQuery<boolean>) {
      const key = queryKey(query);
      const found = key ? await store.getInstallation({ platform: 'slack', workspaceId: key }) : null;
      if (!found || !botTokenOf(found.secrets)) {
        throw new Error(`No Slack installation for ${key ?? 'an unknown workspace'}; install the app at /slack/install`);
      }
      return found.secrets as Installation<'v2', boolean>;
    },
    async deleteInstallation(query: InstallationQuery<boolean>) {
      const key = queryKey(query);
      if (key) await store.revokeInstallation({ platform: 'slack', workspaceId: key });
    },
  };
}

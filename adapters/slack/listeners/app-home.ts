/** `app_home_opened`: publish the Home tab — the workspace's watched domains with their last grades. */
import type { WatchedDomain } from '../../../src/bot/service.ts';
import type { ChannelRef, Store } from '../../../src/store/types.ts';
import { appHomeOpenedSchema, envelopeSchema } from '../payloads.ts';
import { renderHome, type HomeChannel, type HomeView } from '../render/home.ts';
import type { ListenerDeps } from './shared.ts';

export interface HomeArgs {
  event: unknown;
  body: unknown;
  client: { views: { publish(args: { user_id: string; view: HomeView }): Promise<unknown> } };
}

/** The workspace's channels that watch something, whether or not their digest is on. */
export async function workspaceChannels(store: Store, team: string): Promise<ChannelRef[]> {
  return store.watchingChannels({ platform: 'slack', workspaceId: team });
}

export async function homeFor(store: Store, team: string): Promise<HomeView> {
  const channels: HomeChannel[] = [];
  for (const ch of await workspaceChannels(store, team)) {
    const entries = await store.watchList(ch);
    const domains = await Promise.all(
      entries.map(async (e): Promise<WatchedDomain> => {
        const r = await store.latestReport(e.domain).catch(() => null);
        return { domain: e.domain, grade: r?.grade ?? null, score: r?.score ?? null, checkedAt: r?.checkedAt ?? null };
      }),
    );
    channels.push({ channelId: ch.channelId, domains });
  }
  return renderHome(channels);
}

export function appHomeListener(deps: ListenerDeps): (args: HomeArgs) => Promise<void> {
  return async ({ event, body, client }) => {
    const ev = appHomeOpenedSchema.safeParse(event);
    const team = envelopeSchema.safeParse(body).data?.team_id;
    if (!ev.success || !team) return;
    if (ev.data.tab !== undefined && ev.data.tab !== 'home') return;
    try {
      await client.views.publish({ user_id: ev.data.user, view: await homeFor(deps.store, team) });
    } catch (err) {
      deps.logger.error(`could not publish the Home tab: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}

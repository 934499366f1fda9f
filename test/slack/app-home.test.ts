import { describe, expect, it } from 'vitest';
import { workspaceChannels } from '../../adapters/slack/listeners/app-home.ts';
import { openStore } from '../../src/store/index.ts';

describe('App Home channels', () => {
  it('lists every channel of the workspace that watches something, also when its digest is off', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      const off = { platform: 'slack' as const, workspaceId: 'T1', channelId: 'C-OFF' };
      const on = { platform: 'slack' as const, workspaceId: 'T1', channelId: 'C-ON' };
      await store.watch(off, 'example.com');
      await store.setSchedule(off, { enabled: false });
      await store.watch(on, 'example.org');
      await store.watch({ platform: 'slack', workspaceId: 'T2', channelId: 'C-OTHER' }, 'example.net');
      expect((await workspaceChannels(store, 'T1')).map((c) => c.channelId)).toEqual(['C-OFF', 'C-ON']);
    } finally {
      await store.close();
    }
  });
});

/** Parent side of a world child process (child.ts): start it, steer it, stop it. */
import { fork, type ChildProcess } from 'node:child_process';
import type { BulkDomain } from '../fixtures/bulk.ts';
import type { ChildReply, ChildRequest, ChildRequestBody, WorldSpec, WorldStats } from './protocol.ts';

export interface RemoteWorld {
  pid: number;
  resolver: string;
  connectTo: string[];
  caPem: string;
  domains: BulkDomain[];
  startupMs: number;
  setDelay(ms: number): Promise<void>;
  stats(): Promise<WorldStats>;
  stop(): Promise<void>;
}

type Pending = (reply: ChildReply) => void;

export async function startWorldProcess(spec: WorldSpec): Promise<RemoteWorld> {
  const child: ChildProcess = fork(new URL('./child.ts', import.meta.url), [JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  const ready = new Promise<Extract<ChildReply, { type: 'ready' }>>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`world process exited (${code}) before it was ready`)));
    child.on('message', (raw) => {
      const m = raw as ChildReply;
      if (m.type === 'ready') return resolve(m);
      const p = pending.get(m.id);
      if (p) {
        pending.delete(m.id);
        p(m);
      }
    });
  });
  const info = await ready;
  child.removeAllListeners('exit');
  const request = <T extends ChildReply>(m: ChildRequestBody): Promise<T> =>
    new Promise<T>((resolve) => {
      const id = nextId++;
      pending.set(id, (r) => resolve(r as T));
      const message: ChildRequest = { ...m, id };
      child.send(message);
    });
  return {
    pid: child.pid ?? -1,
    resolver: info.resolver,
    connectTo: info.connectTo,
    caPem: info.caPem,
    domains: info.domains,
    startupMs: info.startupMs,
    async setDelay(ms) {
      await request({ type: 'delay', ms });
    },
    async stats() {
      const r = await request<Extract<ChildReply, { type: 'stats' }>>({ type: 'stats' });
      return r.stats;
    },
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await request({ type: 'stop' });
      await exited;
    },
  };
}

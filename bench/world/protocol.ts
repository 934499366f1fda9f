/** Messages between a benchmark and its world / worker child processes (JSON over the IPC channel). */
import type { BulkDomain } from '../fixtures/bulk.ts';

export interface WorldSpec {
  fixture: 'bulk';
  n: number;
  seed: number;
}

export interface WorldStats {
  dns: { queries: number; udp: number; tcp: number };
  smtpAccepted: number;
  httpsAccepted: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  maxRssBytes: number;
}

export type ChildRequestBody = { type: 'delay'; ms: number } | { type: 'stats' } | { type: 'stop' };

export type ChildRequest = ChildRequestBody & { id: number };

export type ChildReply =
  | { type: 'ready'; resolver: string; connectTo: string[]; caPem: string; domains: BulkDomain[]; startupMs: number }
  | { type: 'ok'; id: number }
  | { type: 'stats'; id: number; stats: WorldStats };

/** What a world process needs to hand a checker. */
export interface WorldHandle {
  resolver: string;
  connectTo: string[];
  caPem: string;
}

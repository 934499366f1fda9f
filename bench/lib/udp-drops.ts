/** Kernel-wide UDP receive-buffer drops (Linux /proc/net/snmp `Udp: RcvbufErrors`); undefined elsewhere. */
import { readFileSync } from 'node:fs';

export function udpRcvbufErrors(): number | undefined {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const [head, values] = [lines[0]?.split(/\s+/) ?? [], lines[1]?.split(/\s+/) ?? []];
    const i = head.indexOf('RcvbufErrors');
    const v = i >= 0 ? Number(values[i]) : Number.NaN;
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

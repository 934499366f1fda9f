/**
 * Docker cannot run on the development machine, so the deployment files are checked statically:
 * the Dockerfile (Node 24, production dependencies only, non-root, health check, entry point) and
 * compose.yaml (PostgreSQL 16 with a health check, two Posture instances sharing DATABASE_URL,
 * Discord in HTTP-interactions mode, and no secret written in the file).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SECRET_ENV } from '../../src/log.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => {
    const [op, ...rest] = l.split(/\s+/);
    return { op: op!.toUpperCase(), args: rest.join(' ') };
  });
}

describe('Dockerfile', () => {
  const ins = instructions(read('Dockerfile'));
  const ops = ins.map((i) => i.op);

  it('builds on Node 24 with production dependencies only', () => {
    expect(ins[0]).toMatchObject({ op: 'FROM' });
    expect(ins[0]!.args).toMatch(/^node:24(-slim|-alpine)?(\s|$)/);
    const run = ins.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
    expect(run).toMatch(/npm ci --omit=dev/);
    // dependencies are installed from the lock file before the sources are copied (layer cache)
    expect(ins.findIndex((i) => i.op === 'COPY' && i.args.includes('package-lock.json')))
      .toBeLessThan(ins.findIndex((i) => i.op === 'COPY' && i.args.startsWith('src')));
  });

  it('runs `node src/cli.ts serve` as the non-root node user, exposes 3000 and checks /healthz', () => {
    const user = ins.filter((i) => i.op === 'USER').at(-1);
    expect(user?.args).toBe('node');
    expect(ops.lastIndexOf('USER')).toBeLessThan(ops.indexOf('CMD'));
    expect(ins.find((i) => i.op === 'EXPOSE')?.args).toBe('3000');
    expect(ins.find((i) => i.op === 'HEALTHCHECK')?.args).toMatch(/\/healthz/);
    expect(JSON.parse(ins.find((i) => i.op === 'CMD')!.args)).toEqual(['node', 'src/cli.ts', 'serve']);
  });

  it('copies everything `posture serve` imports, and .dockerignore keeps tests and secrets out', () => {
    const copied = ins.filter((i) => i.op === 'COPY').map((i) => i.args.split(/\s+/)[0]);
    expect(copied).toEqual(expect.arrayContaining(['src', 'adapters']));
    expect(existsSync(join(ROOT, 'src/cli.ts'))).toBe(true);
    const ignore = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', 'test', '.env', '*.db', '.git']) expect(ignore).toContain(p);
  });
});

describe('compose.yaml', () => {
  const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, any> };
  const services = compose.services;
  const instances = Object.entries(services).filter(([, s]) => s.build !== undefined || String(s.image ?? '').startsWith('posture'));

  it('runs PostgreSQL 16 with a health check', () => {
    const pg = services['postgres'];
    expect(pg.image).toMatch(/^postgres:16/);
    expect(pg.healthcheck.test.join(' ')).toMatch(/pg_isready/);
  });

  it('runs two Posture instances on one PostgreSQL, started once it is healthy, Discord over HTTP interactions', () => {
    expect(instances).toHaveLength(2);
    const urls = new Set(instances.map(([, s]) => s.environment.DATABASE_URL));
    expect(urls.size).toBe(1);
    expect([...urls][0]).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
    for (const [, s] of instances) {
      expect(s.depends_on.postgres.condition).toBe('service_healthy');
      expect(s.environment).toHaveProperty('DISCORD_PUBLIC_KEY');
      expect(s.environment.PORT).toBe('3000');
    }
    const published = instances.map(([, s]) => s.ports[0]);
    expect(new Set(published).size).toBe(2);
  });

  it('writes no secret: every secret variable is a ${…} reference', () => {
    const all = [services['postgres'], ...instances.map(([, s]) => s)];
    for (const s of all) {
      for (const [name, value] of Object.entries<string>(s.environment ?? {})) {
        const secret = (SECRET_ENV as readonly string[]).includes(name) || /PASSWORD|SECRET|TOKEN/.test(name);
        if (!secret) continue;
        // the value must come from the environment (a password inside a URL too)
        const literal = String(value).replace(/\$\{[^}]*\}/g, '');
        if (name === 'DATABASE_URL') expect(literal).toMatch(/^postgres:\/\/posture:@postgres:5432\/posture$/);
        else expect(literal).toBe('');
      }
    }
  });
});

describe('docs/deploy.md', () => {
  it('documents deploying at scale: compose, health endpoints, DISCORD_PUBLIC_KEY and the interactions URL', () => {
    const doc = read('docs/deploy.md');
    expect(doc).toMatch(/^## Deploying at scale/m);
    for (const s of ['/healthz', '/readyz', '/discord/interactions', 'DISCORD_PUBLIC_KEY', 'docker compose', 'SIGTERM']) expect(doc).toContain(s);
  });
});

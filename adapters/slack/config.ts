/**
 * Slack settings from the environment (CONTRACTS §4). Three modes:
 *  - `oauth`  — SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET (+ SLACK_SIGNING_SECRET):
 *               multi-workspace install at /slack/install, installations kept in the store;
 *  - `socket` — SLACK_APP_TOKEN (+ SLACK_BOT_TOKEN): Socket Mode, no public URL needed;
 *  - `http`   — SLACK_SIGNING_SECRET + SLACK_BOT_TOKEN: Bolt's receiver on PORT at /slack/events.
 * Errors name the variable and what is wrong with it, never its value.
 */
import { z } from 'zod';

export type SlackMode = 'http' | 'socket' | 'oauth';
export type SlackLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface SlackConfig {
  mode: SlackMode;
  /** HTTP and OAuth modes */
  signingSecret?: string;
  /** HTTP and Socket modes */
  botToken?: string;
  /** Socket Mode */
  appToken?: string;
  clientId?: string;
  clientSecret?: string;
  stateSecret?: string;
  /** OAuth: the redirect URL registered with Slack, when not derived by Slack from the manifest */
  redirectUri?: string;
  /** listening port (HTTP, OAuth); 0 picks a free one (tests) */
  port: number;
  /** listening address (HOST); unset: every interface, as a server behind a load balancer needs */
  host?: string;
  /** Web API base, default https://slack.com/api/ */
  apiUrl?: string;
  logLevel: SlackLogLevel;
  /** the slash command, default /posture */
  command: string;
}

export const SLACK_EVENTS_PATH = '/slack/events';
export const SLACK_INSTALL_PATH = '/slack/install';
export const SLACK_REDIRECT_PATH = '/slack/oauth_redirect';
export const DEFAULT_PORT = 3000;

export class SlackConfigError extends Error {
  override name = 'SlackConfigError';
}

const VARS = [
  'SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET',
  'SLACK_STATE_SECRET', 'SLACK_API_URL', 'SLACK_REDIRECT_URI',
] as const;

const nonEmpty = (name: string) => z.string({ error: `${name} is not set` }).trim().min(1, { error: `${name} is empty` });

const envSchema = z.object({
  SLACK_SIGNING_SECRET: nonEmpty('SLACK_SIGNING_SECRET').optional(),
  SLACK_BOT_TOKEN: nonEmpty('SLACK_BOT_TOKEN')
    .refine((v) => v.startsWith('xoxb-'), { error: 'SLACK_BOT_TOKEN must be a bot token (it starts with xoxb-)' })
    .optional(),
  SLACK_APP_TOKEN: nonEmpty('SLACK_APP_TOKEN')
    .refine((v) => v.startsWith('xapp-'), { error: 'SLACK_APP_TOKEN must be an app-level token (it starts with xapp-)' })
    .optional(),
  SLACK_CLIENT_ID: nonEmpty('SLACK_CLIENT_ID').optional(),
  SLACK_CLIENT_SECRET: nonEmpty('SLACK_CLIENT_SECRET').optional(),
  SLACK_STATE_SECRET: nonEmpty('SLACK_STATE_SECRET').optional(),
  SLACK_REDIRECT_URI: z.url({ error: 'SLACK_REDIRECT_URI must be an absolute URL' }).optional(),
  SLACK_API_URL: z
    .url({ protocol: /^https?$/, error: 'SLACK_API_URL must be an http(s) URL such as https://slack.com/api/' })
    .optional(),
  PORT: z.coerce
    .number({ error: 'PORT must be a number' })
    .int({ error: 'PORT must be a whole number' })
    .min(0, { error: 'PORT must be between 0 and 65535' })
    .max(65535, { error: 'PORT must be between 0 and 65535' })
    .optional(),
  HOST: nonEmpty('HOST').optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error'], { error: 'LOG_LEVEL must be debug, info, warn or error' }).optional(),
});

/** True when any Slack variable is set (so `posture serve` should start the Slack adapter). */
export function slackConfigured(env: Record<string, string | undefined>): boolean {
  return VARS.some((k) => k !== 'SLACK_API_URL' && k !== 'SLACK_REDIRECT_URI' && (env[k] ?? '').trim() !== '');
}

function missing(names: string[], mode: string): SlackConfigError {
  return new SlackConfigError(
    `Slack ${mode}: ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} not set. See README ("Run it in Slack").`,
  );
}

/**
 * The Slack settings, or null when no Slack variable is set at all. Throws
 * {@link SlackConfigError} naming the missing or malformed variable (never its value).
 */
export function slackConfigFromEnv(env: Record<string, string | undefined> = process.env): SlackConfig | null {
  if (!slackConfigured(env)) return null;
  // empty strings count as unset
  const picked = Object.fromEntries(
    [...VARS, 'PORT', 'HOST', 'LOG_LEVEL'].map((k) => [k, env[k] === undefined || env[k]!.trim() === '' ? undefined : env[k]!.trim()]),
  );
  const parsed = envSchema.safeParse(picked);
  if (!parsed.success) {
    // zod messages are ours and carry no values
    throw new SlackConfigError(`Slack settings: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  const e = parsed.data;
  const base = {
    port: e.PORT ?? DEFAULT_PORT,
    ...(e.HOST ? { host: e.HOST } : {}),
    logLevel: e.LOG_LEVEL ?? 'info',
    command: '/posture',
    ...(e.SLACK_API_URL ? { apiUrl: e.SLACK_API_URL.endsWith('/') ? e.SLACK_API_URL : `${e.SLACK_API_URL}/` } : {}),
  } satisfies Partial<SlackConfig>;

  if (e.SLACK_CLIENT_ID || e.SLACK_CLIENT_SECRET || e.SLACK_STATE_SECRET) {
    const need = (['SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET', 'SLACK_SIGNING_SECRET'] as const).filter((k) => !e[k]);
    if (need.length) throw missing(need, 'OAuth (multi-workspace) mode');
    return {
      ...base,
      mode: 'oauth',
      clientId: e.SLACK_CLIENT_ID!,
      clientSecret: e.SLACK_CLIENT_SECRET!,
      stateSecret: e.SLACK_STATE_SECRET!,
      signingSecret: e.SLACK_SIGNING_SECRET!,
      ...(e.SLACK_REDIRECT_URI ? { redirectUri: e.SLACK_REDIRECT_URI } : {}),
    };
  }
  if (e.SLACK_APP_TOKEN) {
    if (!e.SLACK_BOT_TOKEN) throw missing(['SLACK_BOT_TOKEN'], 'Socket Mode');
    return { ...base, mode: 'socket', appToken: e.SLACK_APP_TOKEN, botToken: e.SLACK_BOT_TOKEN, ...(e.SLACK_SIGNING_SECRET ? { signingSecret: e.SLACK_SIGNING_SECRET } : {}) };
  }
  const need = (['SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN'] as const).filter((k) => !e[k]);
  if (need.length) throw missing(need, 'HTTP mode');
  return { ...base, mode: 'http', signingSecret: e.SLACK_SIGNING_SECRET!, botToken: e.SLACK_BOT_TOKEN! };
}

/** A description of the config that is safe to log: mode, port, API base — never a secret. */
export function describeConfig(c: SlackConfig): string {
  const where = c.mode === 'socket' ? 'Socket Mode' : `port ${c.port}, ${SLACK_EVENTS_PATH}${c.mode === 'oauth' ? `, install at ${SLACK_INSTALL_PATH}` : ''}`;
  return `Slack ${c.mode === 'oauth' ? 'OAuth (multi-workspace)' : c.mode === 'socket' ? 'Socket Mode' : 'HTTP'} mode (${where})${c.apiUrl ? `, Web API ${c.apiUrl}` : ''}`;
}

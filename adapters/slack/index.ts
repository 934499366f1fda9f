/** The Slack adapter (DESIGN `adapters/slack/`): what `posture serve` and tests import. */
export { createSlackApp, BOT_SCOPES, BOT_EVENTS, SLASH_COMMAND, type SlackAppDeps, type SlackRuntime, type SlackWorkspaceInfo } from './app.ts';
export { slackConfigFromEnv, slackConfigured, describeConfig, SlackConfigError, type SlackConfig, type SlackMode } from './config.ts';
export { createSlackDelivery, type SlackDeliveryOptions } from './delivery.ts';
export { storeInstallationStore } from './installation-store.ts';
export { createLogger, redact } from './log.ts';
export { renderCard } from './render/card.ts';
export { renderReply, renderExplanation, renderPlan } from './render/reply.ts';
export { renderDigest } from './render/digest.ts';
export { renderHome } from './render/home.ts';
export { validateBlocks, LIMITS, MESSAGE_TEXT_BUDGET, type Block, type SlackMessage } from './render/blocks.ts';

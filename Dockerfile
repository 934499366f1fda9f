# Posture: `posture serve` (Slack and/or Discord bot) on Node 24, production dependencies only.
# Build:  docker build -t posture .
# Run:    docker run --env-file .env -p 3000:3000 posture
# Node runs the TypeScript sources directly (type stripping): there is no build step.
FROM node:24-slim

ENV NODE_ENV=production \
    PORT=3000 \
    DATABASE_URL=sqlite:/app/data/posture.db

WORKDIR /app

# dependencies first (cached until package*.json change); no dev dependencies
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# the sources the server needs (tests, benches and the fixture world stay out: see .dockerignore)
COPY src ./src
COPY adapters ./adapters

# the default SQLite database lives on a volume the unprivileged user owns
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]

USER node

EXPOSE 3000

# liveness: the process answers; node:24-slim has no curl, so ask with Node's fetch
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# `posture serve` stops on SIGTERM: readiness turns 503, work in progress finishes, connections close
STOPSIGNAL SIGTERM
CMD ["node", "src/cli.ts", "serve"]

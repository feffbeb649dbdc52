# Batsignal: the same path CI exercises (.ci/production): npm ci -> npm run build -> production
# dependencies only -> node dist/src/main.js. Give it DATABASE_URL and ADMIN_TOKEN (docs/operations.md).

# --- build: all dependencies, compile TypeScript to dist/
FROM node:20-slim AS builder
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

# --- runtime: production dependencies and the compiled app only
FROM node:20-slim AS runtime
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force \
    && mkdir -p /app/data \
    && chown node:node /app/data
COPY --from=builder /app/dist ./dist
# Listen on every interface inside the container; PostgreSQL comes from DATABASE_URL (the embedded
# fallback is for laptops: without DATABASE_URL it would keep its data in /app/data, lost with the container).
ENV HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data
USER node
EXPOSE 3000
# The probe reads PORT at run time: `docker run -e PORT=3300` is healthy too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node as PID 1 receives SIGTERM from `docker stop` and shuts down cleanly (src/main.ts).
CMD ["node", "dist/src/main.js"]

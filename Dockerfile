# Postern container: build native modules and TypeScript in a full image, run in a slim
# one as a non-root user. Data (SQLite, generated secret, TLS cert) lives in /app/data.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY server ./server
COPY migrations ./migrations
COPY config ./config
COPY admin-ui ./admin-ui
# npm ci runs `prepare` (tsc) and builds better-sqlite3 / argon2 from source where needed.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    POSTERN_HOST=0.0.0.0 \
    POSTERN_DATABASE_URL=/app/data/postern.sqlite
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node bin ./bin
COPY --chown=node:node config ./config
COPY --chown=node:node admin-ui ./admin-ui
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 8080 2525 2587
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.POSTERN_HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/postern.js"]
CMD ["serve"]

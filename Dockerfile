# agentos-sidecar: a daemon driven over stdio. Run with `docker run -i --rm agentos-sidecar`.
# The build context is the repository without node_modules, dist, vendor or .git
# (.dockerignore): dependencies come from the lockfile alone.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The lockfile links the empty stand-in for the agentOS package's native sidecar
# (scripts/no-native-sidecar): copied first, so that link never dangles.
COPY package.json package-lock.json ./
COPY scripts/no-native-sidecar ./scripts/no-native-sidecar
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# isolated-vm compiles here; then the TypeScript and the bundles are built, the agentOS
# commands are copied out of their (development) package as `npm pack` does, and the
# development dependencies go.
RUN npm rebuild isolated-vm && npm run build && node scripts/pack-commands.mjs && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/vendor ./vendor
USER node
# stdin/stdout are the interface; logs go to stderr.
ENTRYPOINT ["node", "--no-node-snapshot", "bin/agentos-sidecar"]

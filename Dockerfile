# agentos-sidecar: a daemon driven over stdio. Run with `docker run -i --rm agentos-sidecar`.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
# isolated-vm compiles here; then the TypeScript and the guest runtime are built.
RUN npm rebuild isolated-vm && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
USER node
# stdin/stdout are the interface; logs go to stderr.
ENTRYPOINT ["node", "--no-node-snapshot", "bin/agentos-sidecar"]

# syntax=docker/dockerfile:1
# The books gRPC server on the current Node LTS: gRPC on 50051, gRPC-Web and Connect on 8080.
#   docker build -t books .
#   docker run --rm -p 50051:50051 -p 8080:8080 books

ARG NODE_IMAGE=node:24-bookworm-slim

# Shared base: pnpm 12 from the npm registry (not corepack), and the tools
# node-gyp needs to compile better-sqlite3 when no prebuilt binary is at hand.
FROM ${NODE_IMAGE} AS pnpm
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
RUN npm install -g pnpm@12 && pnpm --version
WORKDIR /app
# .pnpmfile.cjs points node-gyp at the image's Node headers (better-sqlite3
# is compiled when no prebuilt binary can be downloaded).
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .pnpmfile.cjs ./

# Production dependencies only, for the runtime image.
FROM pnpm AS prod-deps
RUN --mount=type=cache,id=pnpm-store,target=/root/.cache/pnpm \
    pnpm install --frozen-lockfile --prod --reporter=default

# Every dependency, to compile the TypeScript.
FROM pnpm AS build
RUN --mount=type=cache,id=pnpm-store,target=/root/.cache/pnpm \
    pnpm install --frozen-lockfile --reporter=default
COPY tsconfig.json ./
COPY src ./src
COPY scripts/build-page.mjs ./scripts/
# The server, then the live page (esbuild bundles src/web into dist/web).
RUN node_modules/.bin/tsc && node scripts/build-page.mjs

# Runtime: compiled JavaScript and production dependencies, as a non-root user.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    BOOKS_HOST=0.0.0.0 \
    BOOKS_PORT=50051 \
    BOOKS_WEB_PORT=8080 \
    BOOKS_DB=/app/data/books.db
WORKDIR /app
# The SQLite file lives here: mount a volume on it to keep books across containers.
RUN mkdir -p /app/data && chown node:node /app/data
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/web ./dist/web
# The stores' schema migrations, found beside dist/ (from the modules' own place, not the working directory).
COPY migrations ./migrations
COPY package.json ./
# The package's `books` command, on the PATH as a global install would put it.
RUN chmod +x dist/src/bin/books.js && ln -s /app/dist/src/bin/books.js /usr/local/bin/books
USER node
EXPOSE 50051 8080
# The standard gRPC health check, through the image's own CLI.
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
    CMD ["books", "health", "--address", "127.0.0.1:50051", "--timeout", "3000"]
# node is PID 1 (the bin's #! line execs it) and handles SIGTERM itself: NOT_SERVING, end watches, drain, exit 0.
CMD ["books", "server"]

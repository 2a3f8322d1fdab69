#!/usr/bin/env bash
# The container's runtime holds production dependencies only: prove that they
# are enough to start the compiled server and answer its own CLI, so that a
# package filed under devDependencies by mistake fails CI, not the image.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
server=""
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

cp package.json pnpm-lock.yaml pnpm-workspace.yaml .pnpmfile.cjs "$work"/
mkdir -p "$work/dist" && cp -r dist/src dist/web "$work/dist/" && cp -r migrations "$work/migrations"
(cd "$work" && pnpm install --frozen-lockfile --prod >/dev/null)
# The `books` command on the PATH, as the image installs it: `books server`, `books health`.
chmod +x "$work/dist/src/bin/books.js"
mkdir "$work/bin" && ln -s "$work/dist/src/bin/books.js" "$work/bin/books"
export PATH="$work/bin:$PATH"

# SQLite, so that the schema migrations (migrations/*.sql) must be found, from
# another working directory than the package's. The web port on a port free a
# moment ago (--web-port 0 turns it off), not 8080, which may be taken here.
web_port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
(cd / && exec books server --host 127.0.0.1 --port 0 --web-port "$web_port" --store sqlite --db "$work/data/books.db") > "$work/server.log" &
server=$!
for _ in $(seq 1 100); do grep -q '"listening"' "$work/server.log" && break; sleep 0.1; done
address=$(sed -n '/"msg":"listening"/s/.*"address":"\([^"]*\)".*/\1/p' "$work/server.log")
[[ -n "$address" ]] || { cat "$work/server.log"; echo "the server did not start" >&2; exit 1; }
books health --address "$address"
books get 123 --json --address "$address"
# CSV import loads csv-parse.
printf 'id,title,author\n9,"A title, with a comma",Someone\n' > "$work/books.csv"
books import "$work/books.csv" --json --address "$address"
# The web port loads connect-node on start: Connect JSON, as curl sends it.
node -e 'fetch(process.argv[1], {method: "POST", headers: {"content-type": "application/json"}, body: "{\"id\":123}"})
  .then(async (r) => { const text = await r.text(); console.log(`web port: ${r.status} ${text}`); if (r.status !== 200) process.exitCode = 1; })' \
  "http://127.0.0.1:$web_port/books.BookService/Get"
# The live page, built into dist/web and found from the server's own modules, not the working directory.
node -e 'fetch(process.argv[1]).then(async (r) => { const text = await r.text(); const ok = r.status === 200 && text.includes("<title>books</title>");
  console.log(`page: ${r.status} ${ok ? "the page" : text.slice(0, 200)}`); if (!ok) process.exitCode = 1; })' \
  "http://127.0.0.1:$web_port/"

# Reflection is loaded on its first call: that call must find its package too.
(cd "$work" && node - "$address" <<'JS'
const grpc = require('@grpc/grpc-js');
const {ServerReflectionClient} = require('nice-grpc-server-reflection/lib/proto/grpc/reflection/v1/reflection_grpc_pb');
const {ServerReflectionRequest} = require('nice-grpc-server-reflection/lib/proto/grpc/reflection/v1/reflection_pb');
const client = new ServerReflectionClient(process.argv[2], grpc.credentials.createInsecure());
const call = client.serverReflectionInfo();
call.on('data', (response) => {
  const names = response.getListServicesResponse().getServiceList().map((service) => service.getName());
  console.log(`reflection lists: ${names.join(', ')}`);
  if (!names.includes('books.BookService')) process.exitCode = 1;
  call.end();
  client.close();
});
call.on('error', (error) => {
  console.error(`reflection failed: ${error.message}`);
  process.exitCode = 1;
});
call.write(new ServerReflectionRequest().setListServices('*'));
JS
)

import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {createInterface} from 'node:readline';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {startBooksServer} from './helpers/books-server.js';
import {exitOf} from './helpers/processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = 'examples/sync.mjs';

test('the README shows examples/sync.mjs as it is', () => {
  const example = readFileSync(`${ROOT}${EXAMPLE}`, 'utf8');
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  assert.ok(readme.includes(`\`\`\`js\n${example}\`\`\`\n`), `README.md should show ${EXAMPLE} verbatim`);
});

/** The example runs as the README says, `node examples/sync.mjs <address>`, importing `books/client`. */
test('the sync example keeps its Map in step with the server and says each change', async (t) => {
  const books = await startBooksServer();
  t.after(() => books.close());
  const child = spawn(process.execPath, [EXAMPLE, books.address], {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']});
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({input: child.stdout})[Symbol.asyncIterator]();
  const next = async (): Promise<unknown> => (await lines.next()).value;

  assert.equal(await next(), `following ${books.address}`);
  assert.equal(await next(), 'in sync: 1 book(s)');
  await books.client.insert({id: 2, title: 'The Three Musketeers', author: 'Alexandre Dumas'});
  assert.equal(await next(), '+ 2 "The Three Musketeers" by Alexandre Dumas: 2 book(s)');
  await books.client.delete({id: 123});
  assert.equal(await next(), '- 123 "A Tale of Two Cities" by Charles Dickens: 1 book(s)');
  child.kill('SIGINT');
  assert.equal(await next(), 'stopped with 1 book(s)');
  assert.deepEqual(await exitOf(child), {code: 0, signal: null});
  assert.equal(stderr, '');
});

test('the sync example names a server it cannot reach and exits 1', async (t) => {
  const books = await startBooksServer();
  const address = books.address;
  await books.close();
  const child = spawn(process.execPath, [EXAMPLE, address], {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']});
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise((resolve) => child.once('close', resolve));
  assert.deepEqual(await exitOf(child), {code: 1, signal: null});
  await closed;
  assert.match(stderr, /^sync failed: .*UNAVAILABLE.*ECONNREFUSED/);
});

import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {describe, test} from 'node:test';
import {runCliProcess, startServerProcess} from './helpers/processes.js';

// From dist/test/ to the repository's package.json.
const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {version: string};

// runCliProcess and startServerProcess run the `books` bin itself.
describe('the books command', () => {
  test('--version and -v print the version in package.json', async () => {
    for (const flag of ['--version', '-v']) {
      const result = await runCliProcess([flag]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.split(' ')[0], `books/${manifest.version}`, result.stdout);
    }
  });

  test('its help lists the server', async () => {
    const result = await runCliProcess(['--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^ +server +Run the server/m);
  });

  test('server serves the CLI, and SIGTERM stops it with exit status 0', async (t) => {
    const server = await startServerProcess();
    t.after(() => server.child.kill('SIGKILL'));
    const list = await runCliProcess(['list', '--json', '--address', server.address]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), {
      books: [{id: 123, title: 'A Tale of Two Cities', author: 'Charles Dickens'}],
    });
    server.child.kill('SIGTERM');
    assert.deepEqual(await server.exited, {code: 0, signal: null});
  });
});

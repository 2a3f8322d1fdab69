import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import {test} from 'node:test';

const CLI = new URL('../../src/cli/', import.meta.url);

/** Every module specifier that a file under src/cli imports or re-exports, with the file's name. */
function cliImports(): {file: string; specifier: string}[] {
  return readdirSync(CLI)
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) =>
      [...readFileSync(new URL(file, CLI), 'utf8').matchAll(/^(?:import|export)\b[^;]*?\bfrom '([^']+)'/gms)].map(
        ([, specifier]) => ({file, specifier: specifier ?? ''}),
      ),
    );
}

/**
 * The CLI is a client like any other: it uses the client (src/client, and the
 * generated messages it speaks), never the server's domain, server or store
 * modules, and only what a package exports.
 */
test('src/cli imports the client, never src/domain, src/server or src/store', () => {
  const imports = cliImports();
  assert.ok(imports.some(({specifier}) => specifier === '../client/index.js'));
  const wrong = imports.filter(({specifier}) => /^\.\.\/(domain|server|store)\//.test(specifier));
  assert.deepEqual(wrong, []);
});

test('src/cli imports packages by their public entry points, never their files', () => {
  const deep = cliImports().filter(
    ({specifier}) =>
      !specifier.startsWith('.') && !specifier.startsWith('node:') && /^(@[^/]+\/)?[^/]+\//.test(specifier),
  );
  assert.deepEqual(deep, []);
});

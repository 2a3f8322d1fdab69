import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {copyFile, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import {startBooksServer} from './helpers/books-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** This project's own compiler, so the check needs nothing from the registry beyond the package's dependencies. */
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

const run = promisify(execFile);

// What another project writes: types from `books/client`, checked strictly.
// The function that is never called proves the declarations are really there:
// were everything `any`, its @ts-expect-error would itself be the error.
const USES_CLIENT = `import {ChangeType, createBooksClient, followChanges, MAX_BOOK_ID, type Book} from 'books/client';

function neverCalled(): void {
  // @ts-expect-error: an address is a string
  createBooksClient(50051);
}
void neverCalled;

const {client, reached, close} = createBooksClient(process.argv[2] ?? '', {timeoutMs: 10_000});
const got: Book = await client.get({id: 123});
const books = new Map<number, Book>();
for await (const {changes, cursor} of followChanges(client, {includeExisting: true, reached})) {
  for (const {type, book} of changes) {
    if (book !== undefined && type === ChangeType.CHANGE_TYPE_CREATED) books.set(book.id, book);
  }
  if (cursor !== '') break;
}
close();
console.log(JSON.stringify({got, books: [...books.values()], maxId: MAX_BOOK_ID}));
`;

/**
 * The package as a user meets it: packed, installed into a project of its
 * own, imported as `books/client` with its types. Catches an `exports` or
 * `files` entry that leaves out what the client needs, declarations that are
 * not shipped, and an example that no longer type-checks against them.
 */
test('another project installs the packed package and imports books/client, with types', {
  timeout: 120_000,
}, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'books-pack-'));
  t.after(() => rm(dir, {recursive: true, force: true}));
  // Packs dist/ as the build left it: prepack would compile into dist/ while other test files run from it.
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {cwd: ROOT});
  const [{filename}] = JSON.parse(packed.stdout) as [{filename: string}];

  const project = join(dir, 'project');
  await mkdir(project);
  await writeFile(join(project, 'package.json'), JSON.stringify({name: 'uses-books', private: true, type: 'module'}));
  // From npm's cache when it has them (after the first run); --ignore-scripts: the client never loads
  // better-sqlite3, whose build would fetch Node's headers or a prebuilt binary from outside the registry.
  await run(
    'npm',
    ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', join(dir, filename)],
    {
      cwd: project,
    },
  );

  await writeFile(join(project, 'uses-client.ts'), USES_CLIENT);
  await copyFile(join(ROOT, 'examples/sync.mjs'), join(project, 'sync.mjs'));
  const compilerOptions = {
    target: 'es2022',
    module: 'nodenext',
    strict: true,
    // The example too: JavaScript checked against the package's declarations.
    allowJs: true,
    checkJs: true,
    outDir: 'out',
    // Node's types from this project, as a project of one's own would have @types/node.
    typeRoots: [join(ROOT, 'node_modules/@types')],
    types: ['node'],
  };
  await writeFile(join(project, 'tsconfig.json'), JSON.stringify({compilerOptions, include: ['*.ts', '*.mjs']}));
  await run(process.execPath, [TSC, '-p', project], {cwd: project}).catch((error: {stdout?: string}) => {
    assert.fail(`tsc failed:\n${error.stdout}`);
  });

  const books = await startBooksServer();
  t.after(() => books.close());
  const {stdout} = await run(process.execPath, ['out/uses-client.js', books.address], {cwd: project});
  const book = {id: 123, title: 'A Tale of Two Cities', author: 'Charles Dickens'};
  assert.deepEqual(JSON.parse(stdout), {got: book, books: [book], maxId: 2_147_483_647});
});

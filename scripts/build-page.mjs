// Builds the live page (src/web/) into dist/web/: one bundled, minified
// page.js (the Connect client and the protobuf-es types with it), page.css,
// index.html and icon.svg. The web server serves these files at / and nothing else
// of src/web: the page's code is never imported by the server's.
//   node scripts/build-page.mjs
import {copyFileSync, mkdirSync, rmSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {build} from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'web');
const out = join(root, 'dist', 'web');

rmSync(out, {recursive: true, force: true});
mkdirSync(out, {recursive: true});
await build({
  entryPoints: [join(source, 'page.ts')],
  outfile: join(out, 'page.js'),
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  tsconfig: join(source, 'tsconfig.json'),
  logLevel: 'warning',
});
for (const file of ['index.html', 'page.css', 'icon.svg']) copyFileSync(join(source, file), join(out, file));

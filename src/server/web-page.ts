import {readdirSync, readFileSync} from 'node:fs';
import type {IncomingMessage, ServerResponse} from 'node:http';
import {extname} from 'node:path';

/** Where `pnpm build` puts the live page: dist/web/, found from this module's own file, whatever the cwd. */
export const PAGE_DIR = new URL('../../web/', import.meta.url);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

// The page loads only its own script and style and calls only its own origin.
const POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface PageFile {
  readonly body: Buffer;
  readonly type: string;
}

/**
 * The built page's files, read once into memory (about 140 KB), served on
 * GET and HEAD: `/` is index.html. Answers false for any other request,
 * which goes on to the RPC handler. Without a built page (tsc alone), `/`
 * says how to build it.
 */
export function pageHandler(dir: URL = PAGE_DIR): (request: IncomingMessage, response: ServerResponse) => boolean {
  const files = new Map<string, PageFile>();
  try {
    for (const name of readdirSync(dir)) {
      const type = TYPES[extname(name)];
      if (type !== undefined) files.set(`/${name}`, {body: readFileSync(new URL(name, dir)), type});
    }
  } catch {
    // Not built: only the hint below.
  }
  const index = files.get('/index.html');
  if (index !== undefined) files.set('/', index);
  return (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const path = (request.url ?? '/').split('?', 1)[0] ?? '/';
    const file = files.get(path);
    if (file === undefined) {
      if (path !== '/') return false;
      response.writeHead(404, {'Content-Type': 'text/plain; charset=utf-8'});
      response.end('The page is not built: run `pnpm build`.\n');
      return true;
    }
    response.writeHead(200, {
      'Content-Type': file.type,
      'Content-Length': file.body.length,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      ...(file.type.startsWith('text/html') ? {'Content-Security-Policy': POLICY} : {}),
    });
    response.end(request.method === 'HEAD' ? undefined : file.body);
    return true;
  };
}

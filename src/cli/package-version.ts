import {readFileSync} from 'node:fs';

/** The version in package.json, which is at the package's root wherever the compiled code runs (dist/src/cli/). */
export function packageVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  const version =
    typeof manifest === 'object' && manifest !== null ? (manifest as {version?: unknown}).version : undefined;
  return typeof version === 'string' ? version : 'unknown';
}

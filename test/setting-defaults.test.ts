import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import {join, relative} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, test} from 'node:test';
import {SETTINGS, type Setting, type SettingName} from '../src/server/settings.js';

// A setting has one name and one default: its entry in src/server/settings.ts.
// Components take a slice of Config (or, in the domain and the stores, an
// options interface with the same keys, all required), so none of them needs
// a default of its own. This test fails when one creeps back in: it reads the
// server's source (src/, except settings.ts, the generated src/gen, and the
// CLI and client in src/cli and src/client, whose options are their own and
// not the server's settings) for a default written as a literal, which is
//
// - the right-hand side of `??`, or
// - an `=` default in a parameter list or a destructuring pattern: `= x`
//   followed by `,`, `)` or `}` (so `const RETRY_MS = 1000;` and class
//   fields, which end with `;`, are not defaults),
//
// where the literal is a number (`30000`, `30_000`, `16 * 1024`), a string or
// true/false, and flags it when
//
// - its value is the default of any setting (numbers other than 0 and
//   non-empty strings: `?? 0` is how an absent count or row reads), or
// - it is the default of something named like a setting (`drainDelayMs = 0`,
//   `options.authReads ?? false`), whatever its value.
//
// It sees literals only: a default laundered through a named constant
// (`keepaliveMs = KEEPALIVE_MS`) is for review to catch.

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const SKIPPED = ['gen', 'cli', 'client', join('server', 'settings.ts')];

const NUMBER = String.raw`\d[\d_]*(?:\.\d+)?(?:\s*\*\s*\d[\d_]*(?:\.\d+)?)*`;
const LITERAL = String.raw`(?:${NUMBER}|'[^'\n]*'|"[^"\n]*"|true|false)`;
/** `a ?? <literal>`, or `a = <literal>` ending a parameter or a destructured name. */
const DEFAULT = new RegExp(
  [
    String.raw`(?:([\w$#.]+)\s*)?\?\?\s*(${LITERAL})(?![\w.])`,
    String.raw`(?:([\w$#.]+)(?::\s*[\w$.<>\[\]| ]+?)?\s*)?(?<![=!<>+\-*/%&|^?])=\s*(${LITERAL})\s*(?=[,)}])`,
  ].join('|'),
  'g',
);

type Value = number | string | boolean;

function literalValue(literal: string): Value {
  if (literal === 'true' || literal === 'false') return literal === 'true';
  if (/^['"]/.test(literal)) return literal.slice(1, -1);
  return literal
    .split('*')
    .map((factor) => Number(factor.trim().replaceAll('_', '')))
    .reduce((product, factor) => product * factor, 1);
}

const NAMED = Object.entries(SETTINGS) as [SettingName, Setting<unknown>][];
/** Each setting's default value that is distinctive enough to look for. */
const DEFAULT_VALUES = new Map<Value, SettingName[]>();
for (const [key, setting] of NAMED) {
  const value = setting.parse(setting.default);
  const distinctive = (typeof value === 'number' && value !== 0) || (typeof value === 'string' && value !== '');
  if (distinctive) DEFAULT_VALUES.set(value, [...(DEFAULT_VALUES.get(value) ?? []), key]);
}
const SETTING_KEYS = new Set<string>(NAMED.map(([key]) => key));

/** Each default in `source` that repeats a setting's: where it is, and which setting it repeats. */
function repeatedDefaults(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(DEFAULT)) {
    const [text, coalescedName, coalesced, assignedName, assigned] = match;
    const literal = coalesced ?? assigned;
    if (literal === undefined) continue;
    const name = (coalescedName ?? assignedName ?? '').split('.').at(-1) ?? '';
    const settings = [...(DEFAULT_VALUES.get(literalValue(literal)) ?? []), ...(SETTING_KEYS.has(name) ? [name] : [])];
    if (settings.length === 0) continue;
    const line = source.slice(0, match.index).split('\n').length;
    found.push(`line ${line}: ${text.trim()} (the default of ${[...new Set(settings)].join(', ')})`);
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (SKIPPED.includes(relative(SRC, path))) return [];
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('each setting has one default, in src/server/settings.ts', () => {
  test('the check finds a default however it is written', () => {
    const source = [
      'function f({keepaliveMs = 30_000, other = 2}: O, maxRequestBytes = 16 * 1024) {',
      '  const heartbeat = options.heartbeatMs ?? 15000;',
      '  const {drainDelayMs = 0} = options;',
      "  const schema = options.schema ?? 'public';",
      '  return options.authReads ?? false;',
      '}',
      'function g(watchQueueSize: number = 1) {}',
      // Not defaults: declarations, comparisons, counts, SQL text.
      'const RETRY_MS = 1000;',
      'if (x === 1000 || y <= 30000) z = rows[0]?.position ?? 0;',
      "db.exec('PRAGMA busy_timeout = 1000;');",
    ].join('\n');
    assert.deepEqual(repeatedDefaults(source), [
      'line 1: keepaliveMs = 30_000 (the default of snapshotIdleTimeoutMs, keepaliveMs)',
      'line 1: maxRequestBytes = 16 * 1024 (the default of maxRequestBytes)',
      'line 2: options.heartbeatMs ?? 15000 (the default of changesHeartbeatMs)',
      'line 3: drainDelayMs = 0 (the default of drainDelayMs)',
      "line 4: options.schema ?? 'public' (the default of databaseSchema)",
      'line 5: options.authReads ?? false (the default of authReads)',
      'line 7: watchQueueSize: number = 1 (the default of watchQueueSize)',
    ]);
  });

  test('no component of the server repeats a setting default', () => {
    const files = sourceFiles(SRC);
    assert.ok(files.length > 20, `read only ${files.length} files under ${SRC}`);
    const repeated = files.flatMap((file) =>
      repeatedDefaults(readFileSync(file, 'utf8')).map((where) => `src/${relative(SRC, file)} ${where}`),
    );
    assert.deepEqual(repeated, [], 'take the setting from Config (defaultConfig() in tests) instead');
  });
});

import {readFileSync} from 'node:fs';
import {parseArgs} from 'node:util';
import type {redactOptions} from 'pino';
import {bearerToken, InvalidSetting, type Parser} from './setting-parsers.js';
import {
  isSwitch,
  SETTINGS,
  settingName,
  type Setting,
  type SettingName,
  type Settings,
  type StoreKind,
} from './settings.js';

export {STORE_KINDS, type StoreKind} from './settings.js';

/** Everything the server is told: each setting of SETTINGS, with the store chosen. */
export interface Config extends Omit<Settings, 'store'> {
  /** PostgreSQL if a database URL is given, else a SQLite file, unless a store is named. */
  readonly store: StoreKind;
}

/** A usage mistake: the message names the flag or environment variable at fault. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type Env = Readonly<Record<string, string | undefined>>;

const NAMED_SETTINGS = Object.entries(SETTINGS) as [SettingName, Setting<unknown>][];

/** Reads flags, then the environment, then falls back to safe defaults. Throws ConfigError. */
export function loadConfig(argv: readonly string[], env: Env): Config & {help: boolean} {
  const {flags, help} = readFlags(argv);
  const sources = new Map<SettingName, string>();
  const settings = Object.fromEntries(
    NAMED_SETTINGS.map(([key, setting]) => {
      const {source, text} = flags.has(key)
        ? {source: settingName(setting), text: flags.get(key) ?? ''}
        : fromEnvironment(setting, env);
      sources.set(key, source);
      return [key, parse(setting.parse, text, source, setting.secret !== undefined)];
    }),
  ) as Settings;

  const store = settings.store ?? (settings.databaseUrl === undefined ? 'sqlite' : 'postgres');
  if (store === 'postgres' && settings.databaseUrl === undefined) {
    throw new ConfigError(`the postgres store (${sources.get('store')}) needs ${names('databaseUrl')}`);
  }
  if ((settings.tlsCertFile === undefined) !== (settings.tlsKeyFile === undefined)) {
    const [cert, key] = [settingName(SETTINGS.tlsCertFile), settingName(SETTINGS.tlsKeyFile)];
    throw new ConfigError(`TLS needs both ${cert} and ${key}`);
  }
  const tokenSource = `the token file (${sources.get('tokenFile')})`;
  const token =
    settings.tokenFile === undefined
      ? settings.token
      : parse(bearerToken, readToken(settings.tokenFile, tokenSource), tokenSource, true);
  return {...settings, store, token, help};
}

/**
 * Every setting at its default, as the server runs when told nothing: the one
 * source of defaults for code that builds components without loadConfig
 * (tests, benchmarks).
 */
export function defaultConfig(): Config {
  const {help: _help, ...config} = loadConfig([], {});
  return config;
}

function readFlags(argv: readonly string[]): {flags: Map<SettingName, string>; help: boolean} {
  const byFlag = new Map(
    NAMED_SETTINGS.flatMap(([key, setting]) =>
      setting.flag === undefined ? [] : [[setting.flag, {key, setting}] as const],
    ),
  );
  // Not strict: the tokens let each mistake be told in our words, naming the flag.
  const {tokens} = parseArgs({
    args: [...argv],
    strict: false,
    tokens: true,
    options: {
      ...Object.fromEntries(
        [...byFlag].map(([flag, {setting}]) => [flag, {type: isSwitch(setting) ? 'boolean' : 'string'}] as const),
      ),
      help: {type: 'boolean', short: 'h'},
    },
  });
  const flags = new Map<SettingName, string>();
  let help = false;
  for (const token of tokens) {
    if (token.kind === 'positional') throw new ConfigError(`unexpected argument "${token.value}"`);
    if (token.kind !== 'option') continue;
    if (token.name === 'help') {
      help = true;
      continue;
    }
    const found = byFlag.get(token.name);
    if (found === undefined) {
      throw new ConfigError(`unknown option ${token.rawName}${suggestion(token.name, [...byFlag.keys()])}`);
    }
    const {key, setting} = found;
    if (isSwitch(setting)) {
      if (token.value !== undefined) throw new ConfigError(`${token.rawName} takes no value`);
      flags.set(key, 'true');
    } else {
      // `--port --host x` would otherwise read "--host" as the port.
      if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-'))) {
        throw new ConfigError(`${token.rawName} needs a value: ${token.rawName} ${setting.placeholder}`);
      }
      flags.set(key, token.value);
    }
  }
  return {flags, help};
}

/** The first of the setting's variables that is set and not empty (compose files often set one to ""). */
function fromEnvironment(setting: Setting<unknown>, env: Env): {source: string; text: string} {
  for (const name of setting.env) {
    const text = env[name];
    if (text !== undefined && text !== '') return {source: name, text};
  }
  return {source: `the default of ${settingName(setting)}`, text: setting.default};
}

function parse<T>(parser: Parser<T>, text: string, source: string, secret: boolean): T {
  try {
    return parser(text);
  } catch (error: unknown) {
    if (!(error instanceof InvalidSetting)) throw error;
    throw new ConfigError(`${source} ${error.message}${secret ? '' : `, got "${text}"`}`);
  }
}

function readToken(file: string, source: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error: unknown) {
    throw new ConfigError(`cannot read ${source}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** "--database-url or DATABASE_URL" */
function names(key: SettingName): string {
  const setting: Setting<unknown> = SETTINGS[key];
  return [...(setting.flag === undefined ? [] : [`--${setting.flag}`]), ...setting.env].join(' or ');
}

/** " (did you mean --port?)" for --prot: the nearest flag, if it is near. */
function suggestion(name: string, flags: readonly string[]): string {
  const [nearest] = flags
    .map((flag) => ({flag, distance: editDistance(name, flag)}))
    .sort((a, b) => a.distance - b.distance);
  return nearest !== undefined && nearest.distance <= 2 && name.length > 2 ? ` (did you mean --${nearest.flag}?)` : '';
}

/** Levenshtein distance: the fewest insertions, deletions and substitutions from a to b. */
function editDistance(a: string, b: string): number {
  // The table a row at a time: row[j] is the distance from the part of `a`
  // read so far to the first j + 1 characters of `b`.
  let row = Array.from({length: b.length}, (_, j) => j + 1);
  for (let i = 0; i < a.length; i++) {
    // The entries left of the one being written, in the previous row and in this one.
    let diagonal = i;
    let left = i + 1;
    row = row.map((up, j) => {
      left = Math.min(up + 1, left + 1, diagonal + (a.charAt(i) === b.charAt(j) ? 0 : 1));
      diagonal = up;
      return left;
    });
  }
  return row.at(-1) ?? a.length;
}

/**
 * The configuration as printed at start-up, under `config`: a setting of
 * another store than the chosen one is left out. Its secrets are masked by
 * the logger (CONFIG_REDACTION), not here.
 */
export function describeConfig(config: Config): Record<string, unknown> {
  const described: Record<string, unknown> = {...config};
  for (const [key, {stores}] of NAMED_SETTINGS) {
    if (stores !== undefined && !stores.includes(config.store)) delete described[key];
  }
  return described;
}

/**
 * Masks the secret settings (`secret` in SETTINGS) of a logged `config`, in
 * every line: the token shows only as `set` or `none`, and a database URL
 * with its password as `***` (pino's redact replaces a whole value, so the
 * password inside the URL needs this one function).
 */
export const CONFIG_REDACTION: redactOptions = {
  paths: NAMED_SETTINGS.filter(([, {secret}]) => secret !== undefined).map(([key]) => `config.${key}`),
  censor(value: unknown, path: string[]): unknown {
    const setting: Setting<unknown> = SETTINGS[path.at(-1) as SettingName];
    if (setting.secret === 'value') return value === undefined ? 'none' : 'set';
    if (typeof value !== 'string') return value;
    const url = new URL(value);
    if (url.password !== '') url.password = '***';
    return url.toString();
  },
};

/** Thrown by a parser: says what the text must be; the caller names the flag or variable it came from. */
export class InvalidSetting extends Error {
  override readonly name = 'InvalidSetting';
}

/** Turns a setting's text into its value, or throws InvalidSetting. */
export type Parser<T> = (text: string) => T;

export function integer(min: number, max: number): Parser<number> {
  return (text) => {
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!(value >= min && value <= max)) throw new InvalidSetting(`must be an integer from ${min} to ${max}`);
    return value;
  };
}

export function oneOf<const V extends string>(values: readonly V[]): Parser<V> {
  return (text) => {
    if (!(values as readonly string[]).includes(text)) throw new InvalidSetting(`must be one of ${values.join(', ')}`);
    return text as V;
  };
}

/** Empty text means none: a flag given as `--x=` overrides a variable with "none". */
export function optional<T>(parse: Parser<T>): Parser<T | undefined> {
  return (text) => (text === '' ? undefined : parse(text));
}

export const nonEmptyText: Parser<string> = (text) => {
  if (text.trim() === '') throw new InvalidSetting('must not be empty');
  return text;
};

export const trueOrFalse: Parser<boolean> = (text) => {
  if (text !== 'true' && text !== 'false') throw new InvalidSetting('must be true or false');
  return text === 'true';
};

/** A PostgreSQL schema name as the stores interpolate it into SQL: lower-case, unquoted. */
export const sqlName: Parser<string> = (text) => {
  if (!/^[a-z_][a-z0-9_]{0,39}$/.test(text)) {
    throw new InvalidSetting('must be a lower-case SQL name (a-z, 0-9, _; at most 40 characters)');
  }
  return text;
};

export const postgresUrl: Parser<string> = (text) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidSetting('must be a URL such as postgres://user:password@host:5432/books');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new InvalidSetting(`must be a postgres:// URL, not ${url.protocol}//`);
  }
  return text;
};

/** A bearer token: surrounding white space (a file's last newline) is not part of it. */
export const bearerToken: Parser<string> = (text) => {
  const token = text.trim();
  if (token === '') throw new InvalidSetting('is empty');
  return token;
};

/** Comma-separated web origins (`https://example.com`, `http://localhost:5173`), or `*` for any; empty is none. */
export const originList: Parser<readonly string[]> = (text) => {
  const origins = text
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of origins) {
    if (origin === '*') continue;
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (url === undefined || url.origin !== origin) {
      throw new InvalidSetting(`must be origins such as https://example.com, separated by commas (not ${origin})`);
    }
  }
  return origins;
};

import {readdirSync, readFileSync} from 'node:fs';

/** One step of a store's schema: `migrations/<store>/<version>_<name>.sql`. */
export interface Migration {
  /** 1, 2, ...: the number the database records once the step is applied. */
  readonly version: number;
  /** The file's name, for messages. */
  readonly name: string;
  readonly sql: string;
}

/**
 * The package's `migrations/` folder, found from this module's own place
 * (dist/src/store/ in the repository, the package and the image alike),
 * never from the working directory.
 */
const MIGRATIONS = new URL('../../../migrations/', import.meta.url);

const FILE = /^(\d+)_[a-z0-9_]+\.sql$/;
const PLACEHOLDER = /\{\{(\w+)\}\}/g;

/**
 * The migrations of `store` after `version`, in order, each file's
 * `{{name}}` replaced by `values[name]`, which the caller has already
 * quoted for its place in SQL. Each store applies them in one transaction
 * of its own, with its driver, and records the last version as it always
 * has. Throws if the files are not numbered 1, 2, 3... or a placeholder has
 * no value.
 */
export function migrationsAfter(
  store: 'sqlite' | 'postgres',
  version: number,
  values: Readonly<Record<string, string>> = {},
): Migration[] {
  const folder = new URL(`${store}/`, MIGRATIONS);
  const files = readdirSync(folder)
    .filter((name) => name.endsWith('.sql'))
    .sort();
  return files
    .map((name, index) => {
      const number = FILE.exec(name)?.[1];
      if (number === undefined || Number(number) !== index + 1) {
        throw new Error(`migrations/${store}/${name}: expected ${String(index + 1).padStart(3, '0')}_<name>.sql`);
      }
      return {version: index + 1, name};
    })
    .filter((migration) => migration.version > version)
    .map(({version, name}) => ({
      version,
      name,
      sql: readFileSync(new URL(name, folder), 'utf8').replace(PLACEHOLDER, (_, key: string) => {
        const value = values[key];
        if (value === undefined) throw new Error(`migrations/${store}/${name}: no value for {{${key}}}`);
        return value;
      }),
    }));
}

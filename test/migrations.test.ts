import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import pg from 'pg';
import {defaultConfig} from '../src/server/config.js';
import {migrationsAfter} from '../src/store/migrations.js';
import {PostgresStore} from '../src/store/postgres-store.js';
import {openSqlite, type SqliteDatabase} from '../src/store/sqlite-driver.js';
import {SqliteStore} from '../src/store/sqlite-store.js';
import {
  dropSchema,
  POSTGRES_AVAILABLE,
  postgresStoreOptions,
  TEST_DATABASE_URL,
  uniqueSchema,
} from './helpers/stores.js';

// The schema as the stores wrote it before migrations were .sql files
// (main at 475bf41, schema version 2), frozen here: a database that a
// server of then created must open unchanged.

const SQLITE_V2 = `
  CREATE TABLE books (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    id INTEGER NOT NULL UNIQUE,
    title TEXT NOT NULL,
    author TEXT NOT NULL
  );
  CREATE TABLE changes (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('created', 'deleted')),
    id INTEGER NOT NULL,
    title TEXT NOT NULL,
    author TEXT NOT NULL
  );
  CREATE TRIGGER book_created AFTER INSERT ON books BEGIN
    INSERT INTO changes (kind, id, title, author) VALUES ('created', NEW.id, NEW.title, NEW.author);
  END;
  CREATE TRIGGER book_deleted AFTER DELETE ON books BEGIN
    INSERT INTO changes (kind, id, title, author) VALUES ('deleted', OLD.id, OLD.title, OLD.author);
  END;
  CREATE TABLE catalogue (id TEXT NOT NULL);
  PRAGMA user_version = 2;`;

const postgresV2 = (schema: string): string => `
  CREATE SCHEMA ${schema};
  CREATE TABLE ${schema}.books_schema (version integer NOT NULL);
  CREATE TABLE ${schema}.books (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id integer NOT NULL UNIQUE,
    title text NOT NULL,
    author text NOT NULL
  );
  CREATE TABLE ${schema}.changes (
    position bigint PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('created', 'deleted')),
    id integer NOT NULL,
    title text NOT NULL,
    author text NOT NULL
  );
  CREATE TABLE ${schema}.change_log (
    last_position bigint NOT NULL,
    catalogue_id uuid NOT NULL DEFAULT gen_random_uuid()
  );
  INSERT INTO ${schema}.change_log (last_position) VALUES (0);
  CREATE FUNCTION ${schema}.log_book_change() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    next_position bigint;
  BEGIN
    UPDATE ${schema}.change_log SET last_position = last_position + 1 RETURNING last_position INTO next_position;
    IF TG_OP = 'INSERT' THEN
      INSERT INTO ${schema}.changes VALUES (next_position, 'created', NEW.id, NEW.title, NEW.author);
    ELSE
      INSERT INTO ${schema}.changes VALUES (next_position, 'deleted', OLD.id, OLD.title, OLD.author);
    END IF;
    PERFORM pg_notify('books_changes_${schema}', '');
    RETURN NULL;
  END $$;
  CREATE TRIGGER book_changed AFTER INSERT OR DELETE ON ${schema}.books
    FOR EACH ROW EXECUTE FUNCTION ${schema}.log_book_change();
  INSERT INTO ${schema}.books_schema (version) VALUES (2);`;

/** Each table, trigger and index as SQLite keeps it, spaces aside. */
function sqliteSchema(db: SqliteDatabase): string[] {
  return (db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all() as {sql: string | null}[]).map(
    (row) => JSON.stringify({...row, sql: row.sql?.replace(/\s+/g, ' ')}),
  );
}

describe('migrations', () => {
  test('are numbered 1, 2, ... for each store, found whatever the working directory', (t) => {
    const cwd = process.cwd();
    process.chdir(tmpdir());
    t.after(() => process.chdir(cwd));
    for (const store of ['sqlite', 'postgres'] as const) {
      const all = migrationsAfter(store, 0, {schema: '"s"', channel: "'c'"});
      assert.deepEqual(
        all.map((migration) => migration.version),
        [1, 2],
      );
      assert.ok(all.every((migration) => !migration.sql.includes('{{')));
      assert.deepEqual(migrationsAfter(store, 1, {schema: '"s"', channel: "'c'"}), all.slice(1));
      assert.deepEqual(migrationsAfter(store, 2), []);
    }
    assert.throws(() => migrationsAfter('postgres', 0, {}), /no value for \{\{schema\}\}/);
  });

  test('a SQLite file of the schema before .sql files opens unchanged, and a new one gets the same schema', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'books-migrations-'));
    t.after(() => rmSync(dir, {recursive: true, force: true}));
    const old = openSqlite(join(dir, 'old.db'));
    old.exec(SQLITE_V2);
    old.exec(`INSERT INTO catalogue (id) VALUES ('5f0c6a52-0c1e-4f43-9d7a-5a8e0d8c2b11');
      INSERT INTO books (id, title, author) VALUES (5, 'Old', 'Book'), (6, 'Gone', 'Soon');
      DELETE FROM books WHERE id = 6;`);
    const before = sqliteSchema(old);
    old.close();

    const store = new SqliteStore(
      join(dir, 'old.db'),
      [{id: 99, title: 'Seed', author: 'Not for an old file'}],
      defaultConfig(),
    );
    assert.equal(store.catalogueId, '5f0c6a52-0c1e-4f43-9d7a-5a8e0d8c2b11');
    assert.deepEqual((await store.listPage(0, 10)).books, [{id: 5, title: 'Old', author: 'Book'}]);
    assert.equal(await store.lastPosition(), 3);
    await store.insert({id: 7, title: 'New', author: 'Book'});
    assert.deepEqual(
      (await store.readChanges(3, 10)).map(({kind, position, book}) => [kind, position, book.id]),
      [['created', 4, 7]],
    );
    await store.close();
    const reopened = openSqlite(join(dir, 'old.db'));
    t.after(() => reopened.close());
    assert.deepEqual(sqliteSchema(reopened), before);
    assert.deepEqual(reopened.prepare('PRAGMA user_version').get(), {user_version: 2});

    const fresh = new SqliteStore(join(dir, 'new.db'), [{id: 1, title: 'Seed', author: 'A'}], defaultConfig());
    assert.equal(await fresh.lastPosition(), 0, "the seed books are not in a new catalogue's log");
    await fresh.close();
    const created = openSqlite(join(dir, 'new.db'));
    t.after(() => created.close());
    assert.deepEqual(sqliteSchema(created), before);
    assert.deepEqual(created.prepare('PRAGMA user_version').get(), {user_version: 2});
  });

  // Registered only where PostgreSQL is at hand: `pnpm test` names the suites left out, once.
  if (POSTGRES_AVAILABLE) {
    test('a PostgreSQL schema of before .sql files opens unchanged, and a new one gets the same schema', async (t) => {
      const database = new pg.Client({connectionString: TEST_DATABASE_URL});
      await database.connect();
      t.after(() => database.end());
      const [old, fresh] = [uniqueSchema(), uniqueSchema()];
      t.after(() => Promise.all([dropSchema(old), dropSchema(fresh)]));
      await database.query(postgresV2(old));
      await database.query(`INSERT INTO ${old}.books (id, title, author) VALUES (5, 'Old', 'Book')`);
      const {rows} = await database.query<{id: string}>(`SELECT catalogue_id AS id FROM ${old}.change_log`);

      const store = await PostgresStore.open(postgresStoreOptions(old), [
        {id: 99, title: 'Seed', author: 'Not for an old schema'},
      ]);
      try {
        assert.equal(store.catalogueId, rows[0]?.id);
        assert.deepEqual((await store.listPage(0, 10)).books, [{id: 5, title: 'Old', author: 'Book'}]);
        await store.insert({id: 7, title: 'New', author: 'Book'});
        assert.deepEqual(
          (await store.readChanges(1, 10)).map(({kind, position, book}) => [kind, position, book.id]),
          [['created', 2, 7]],
        );
      } finally {
        await store.close();
      }
      const versions = async (schema: string) =>
        (await database.query(`SELECT version FROM ${schema}.books_schema`)).rows;
      assert.deepEqual(await versions(old), [{version: 2}]);

      const created = await PostgresStore.open(postgresStoreOptions(fresh), [{id: 1, title: 'Seed', author: 'A'}]);
      try {
        assert.equal(await created.lastPosition(), 0, "the seed books are not in a new catalogue's log");
      } finally {
        await created.close();
      }
      assert.deepEqual(await versions(fresh), [{version: 2}]);
      assert.deepEqual(await postgresSchema(database, fresh), await postgresSchema(database, old));
    });
  }
});

/** Columns, constraints, triggers and the trigger function of `schema`, with its name, quotes and spaces taken out. */
async function postgresSchema(database: pg.Client, schema: string): Promise<unknown[]> {
  const {rows} = await database.query<{what: string}>(
    `SELECT format('%s.%s %s %s %s', table_name, column_name, data_type, is_nullable, column_default) AS what
       FROM information_schema.columns WHERE table_schema = $1
     UNION ALL
     SELECT format('%s %s', conrelid::regclass::text, pg_get_constraintdef(oid))
       FROM pg_constraint WHERE connamespace = $1::regnamespace
     UNION ALL
     SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = ($1 || '.books')::regclass
     UNION ALL
     SELECT pg_get_functiondef(($1 || '.log_book_change')::regproc)
     ORDER BY 1`,
    [schema],
  );
  return rows.map(({what}) =>
    what
      .replaceAll(schema, '<schema>')
      .replaceAll('"', '')
      .replace(/--[^\n]*/g, '')
      .replace(/\s+/g, ' '),
  );
}

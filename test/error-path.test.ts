import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import {join, relative} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, test} from 'node:test';
import {ServerError, Status} from 'nice-grpc';
import * as domainErrors from '../src/domain/errors.js';
import {TokenMissingError, TokenRejectedError} from '../src/server/auth.js';
import {toServerError} from '../src/server/error-status.js';

// One error path: the domain (and the server's own checks, such as List's
// size limit and the token) throws errors of its own, and
// src/server/error-status.ts is the one table that gives each its status. A
// status made anywhere else is a second path that the table, its logging and
// its rich error details do not see.

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** The files that may make a ServerError themselves, and why each must. */
const MAKERS_OF_STATUSES: Readonly<Record<string, string>> = {
  'server/error-status.ts': 'the table itself, and INTERNAL for what it does not know',
  'server/terminator.ts':
    'UNAVAILABLE for a stream that shutdown ended: the call middleware asks it to explain an abort, ' +
    'which the domain sees only as its signal aborting',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'gen' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('one error path: domain errors, mapped to statuses in error-status.ts', () => {
  test('only the files that must make a ServerError make one', () => {
    const makers = sourceFiles(SRC)
      .filter((file) => /\bnew ServerError\(/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(SRC, file).replaceAll('\\', '/'))
      .sort();
    assert.deepEqual(makers, Object.keys(MAKERS_OF_STATUSES).sort(), 'throw a domain error mapped in error-status.ts');
  });

  test('every domain error has its status in the table', () => {
    const classes = Object.entries(domainErrors).filter(
      ([, value]) => typeof value === 'function' && value.prototype instanceof Error,
    );
    assert.ok(classes.length >= 10, `found only ${classes.length} domain errors`);
    for (const [name, DomainError] of classes) {
      // No arguments: only the class matters to the table.
      const mapped = toServerError(Reflect.construct(DomainError, []));
      assert.ok(mapped instanceof ServerError, `${name} has no status in error-status.ts`);
      assert.notEqual(mapped.code, Status.INTERNAL, name);
    }
  });

  test("the token check's errors have theirs too", () => {
    const missing = toServerError(new TokenMissingError());
    const rejected = toServerError(new TokenRejectedError());
    assert.ok(missing instanceof ServerError && rejected instanceof ServerError);
    assert.equal(missing.code, Status.UNAUTHENTICATED);
    assert.equal(rejected.code, Status.PERMISSION_DENIED);
  });

  test("List's size limit is a domain error with List's status and message", () => {
    const mapped = toServerError(new domainErrors.ListTooLargeError(4_194_304, 15_000));
    assert.ok(mapped instanceof ServerError);
    assert.equal(mapped.code, Status.RESOURCE_EXHAUSTED);
    assert.equal(
      mapped.details,
      "the catalogue is larger than List's 4194304-byte limit (past 15000 books); page through it with ListBooks",
    );
  });
});

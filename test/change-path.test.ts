import assert from 'node:assert/strict';
import {existsSync, readFileSync} from 'node:fs';
import {describe, test} from 'node:test';

const root = new URL('../../', import.meta.url);

interface Step {
  readonly file: string;
  readonly names: string[];
}

/** The steps of the README's "How a change travels": each item starts `N. `file` `name`, `name` — `. */
function changePath(): Step[] {
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  const start = readme.indexOf('\n## How a change travels\n');
  assert.ok(start >= 0, 'the README has a section "How a change travels"');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return section
    .split(/^\d+\. /m)
    .slice(1)
    .map((item) => {
      const head = item.replace(/\s+/g, ' ').split(' — ')[0]!;
      const [file, ...names] = [...head.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);
      return {file: file!, names};
    });
}

/** Whether `source` defines `name`: a function, method, accessor or constant of that name. */
function defines(source: string, name: string): boolean {
  const escaped = name.replace(/[#$]/g, '\\$&');
  return new RegExp(`(^|[\\s*])${escaped}\\s*[(<:=]|function\\*?\\s+${escaped}\\b`, 'm').test(source);
}

/**
 * Keeps the README's walk through the change path true: a file moved, or a
 * function renamed or removed, fails here until the README says so.
 */
describe("the README's change path", () => {
  const steps = changePath();

  test('names the files from the store to the codec, a few of them', () => {
    assert.ok(steps.length >= 5, 'the section lists its steps');
    assert.equal(steps[0]!.file, 'src/store/sqlite-store.ts');
    assert.equal(steps.at(-1)!.file, 'src/gen/books/books.ts');
    // The generated codec is read by nobody and edited by nobody: the files a
    // reader follows are the ones written by hand.
    const written = new Set(steps.map((step) => step.file).filter((file) => !file.startsWith('src/gen/')));
    assert.ok(written.size <= 5, `a change passes through 5 files written by hand at most, not ${written.size}`);
  });

  for (const {file, names} of steps) {
    test(`${file} holds ${names.join(', ')}`, () => {
      assert.ok(names.length > 0, `the step of ${file} names its functions`);
      const path = new URL(file, root);
      assert.ok(existsSync(path), `${file} exists`);
      const source = readFileSync(path, 'utf8');
      for (const name of names) assert.ok(defines(source, name), `${file} defines ${name}`);
    });
  }
});

import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {checkConsumer, type ConsumerRun} from '../bench/soak/consumer-check.js';
import type {LogEntry} from './helpers/change-log.js';

// The soak's verdict on its consumer rests on this join of the consumer's
// runs by its cursor file: a mistake here would pass a consumer that lost or
// repeated changes, or fail one that did not. The soak itself takes minutes.

const entry = (position: number): LogEntry => ({
  position,
  kind: 'created',
  id: position,
  title: `Book ${position}`,
  author: 'Writer',
});
const log = [1, 2, 3, 4, 5, 6].map(entry);

function run(
  index: number,
  startPosition: number | undefined,
  positions: number[],
  end: ConsumerRun['end'],
  cursorAtExit?: number,
): ConsumerRun {
  return {
    index,
    address: '127.0.0.1:1',
    startPosition,
    lines: positions.map(entry),
    strayLines: [],
    partialTail: '',
    stderr: '',
    end,
    cursorAtExit,
  };
}

describe("the soak's check of its consumer", () => {
  test('a line printed after the stored cursor, before a kill, may be printed again by the next run', () => {
    const runs = [run(0, undefined, [1, 2, 3], 'killed', 2), run(1, 2, [3, 4, 5, 6], 'stopped', 6)];
    assert.deepEqual(checkConsumer(runs, log, 0), {problems: [], delivered: 6, printedAgain: 1});
  });

  test('a run that prints a change at or before the cursor it started from repeats it', () => {
    const runs = [run(0, undefined, [1, 2, 3], 'killed', 3), run(1, 3, [3, 4, 5, 6], 'stopped', 6)];
    const {problems} = checkConsumer(runs, log, 0);
    const [problem, ...others] = problems;
    assert.deepEqual(others, []);
    assert.match(problem ?? '', /^consumer run 1 \(started from the cursor file at 3\) printed again 1 change/);
  });

  test('a change never printed is lost; the log after the first start is what counts', () => {
    const runs = [run(0, undefined, [3, 5, 6], 'stopped', 6)];
    assert.deepEqual(checkConsumer(runs, log, 2).problems, [
      '1 change(s) of the log never delivered, first 4 +4 "Book 4" by "Writer", last 4 +4 "Book 4" by "Writer"',
    ]);
  });

  test('changes out of order, or other than the log holds, are found', () => {
    const changed = run(0, undefined, [1, 3, 2, 4, 5, 6], 'stopped', 6);
    const fifth = changed.lines[4];
    assert.ok(fifth !== undefined);
    changed.lines[4] = {...fifth, title: 'Other'};
    assert.deepEqual(checkConsumer([changed], log, 0).problems, [
      'delivered 2 after 3: out of order or repeated',
      'delivered 5 +5 "Other" by "Writer"; the log holds 5 +5 "Book 5" by "Writer"',
    ]);
  });
});

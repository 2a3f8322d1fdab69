import {describe, test} from 'node:test';
import {durabilityTest, sqlite} from './helpers/kill-durability.js';

// One file per store, so that each stays well within the test timeout on a busy machine.
describe('no acknowledged write is lost to kill -9, sqlite', () => {
  test('one writer', durabilityTest(1, sqlite));
  test('16 concurrent writers (grouped commits)', durabilityTest(16, sqlite));
});

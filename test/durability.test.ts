import {test} from 'node:test';
import {durabilityTest, sqlite} from './helpers/kill-durability.js';

// Top-level tests, one file per store: each stays well within the test
// timeout on a machine whose disk is slow to sync.
test('no acknowledged write is lost to kill -9: sqlite, one writer', durabilityTest(1, sqlite));
test(
  'no acknowledged write is lost to kill -9: sqlite, 16 concurrent writers (grouped commits)',
  durabilityTest(16, sqlite),
);

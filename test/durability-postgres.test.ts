import {test} from 'node:test';
import {durabilityTest, postgres} from './helpers/kill-durability.js';
import {POSTGRES_AVAILABLE} from './helpers/stores.js';

if (POSTGRES_AVAILABLE) {
  test('no acknowledged write is lost to kill -9: postgres, one writer', durabilityTest(1, postgres));
  test('no acknowledged write is lost to kill -9: postgres, 16 concurrent writers', durabilityTest(16, postgres));
}

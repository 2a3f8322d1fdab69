import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {createLogger, type LogLevel} from '../src/server/logger.js';

function capture(level: LogLevel) {
  const lines: string[] = [];
  const logger = createLogger(level, {destination: {write: (line) => lines.push(line)}});
  return {logger, lines};
}

describe('the server log', () => {
  test('one JSON object per line: ISO time, the level by name, the message as msg, then the fields', () => {
    const {logger, lines} = capture('info');
    logger.info('listening', {address: '127.0.0.1:50051', tls: false});
    logger.warn('plain');
    assert.equal(lines.length, 2);
    assert.ok(lines.every((line) => line.endsWith('}\n') && !line.slice(0, -1).includes('\n')));
    const [first, second] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(Object.keys(first ?? {}).sort(), ['address', 'level', 'msg', 'time', 'tls']);
    assert.equal(first?.['level'], 'info');
    assert.equal(first?.['msg'], 'listening');
    assert.equal(first?.['address'], '127.0.0.1:50051');
    assert.equal(new Date(String(first?.['time'])).toISOString(), first?.['time']);
    assert.deepEqual([second?.['level'], second?.['msg']], ['warn', 'plain']);
  });

  test('each level writes what is at it or above; silent writes nothing', () => {
    const levels = ['debug', 'info', 'warn', 'error'] as const;
    for (const [at, level] of [...levels, 'silent' as const].entries()) {
      const {logger, lines} = capture(level);
      for (const each of levels) logger[each](each);
      assert.deepEqual(
        lines.map((line) => (JSON.parse(line) as Record<string, unknown>)['level']),
        levels.slice(at),
        level,
      );
      assert.deepEqual(
        levels.map((each) => logger.isEnabled(each)),
        levels.map((_, index) => index >= at),
      );
      assert.equal(logger.isEnabled('silent'), false);
    }
  });
});

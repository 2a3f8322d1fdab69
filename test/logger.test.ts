import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {once} from 'node:events';
import {describe, test} from 'node:test';
import {createLogger, type LogLevel} from '../src/server/logger.js';

function capture(level: LogLevel) {
  const lines: string[] = [];
  const logger = createLogger(level, {destination: {write: (line) => lines.push(line)}});
  return {logger, lines};
}

describe('the server log', () => {
  test('to stdout, every line logged before process.exit is written, in order', async () => {
    // A large first line keeps a write in flight when the second is logged and
    // the process exits, as a server that logs "stopping", then "stopped", does.
    const script = `
      import {createLogger} from ${JSON.stringify(new URL('../src/server/logger.js', import.meta.url).href)};
      const logger = createLogger('info');
      logger.info('first', {padding: 'x'.repeat(1 << 20)});
      logger.info('second');
      process.exit(0);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const [code] = await once(child, 'close');
    assert.equal(code, 0);
    const messages = stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as {msg: string}).msg);
    assert.deepEqual(messages, ['first', 'second']);
  });

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

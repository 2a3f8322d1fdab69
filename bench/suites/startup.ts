import {once} from 'node:events';
import {performance} from 'node:perf_hooks';
import {spawnTracked, stopChild} from '../children.js';
import {CLI_MAIN} from '../paths.js';
import type {Plan} from '../plan.js';
import type {StartupResult} from '../results.js';
import {spreadOf} from '../stats.js';
import {BASELINE, PRODUCT, startServer, type SystemName} from '../systems.js';

/**
 * Start-up: spawning the server process to its "listening" line, both
 * systems alternating; then the wall time of one CLI `list` against a
 * running product server, as a user would run it (a fresh node process).
 */
export async function runStartupSuite(plan: Plan['startup'], log: (line: string) => void): Promise<StartupResult> {
  const serverStartMs: Record<SystemName, number[]> = {product: [], baseline: []};
  for (let round = 0; round < plan.rounds; round++) {
    for (const system of round % 2 === 0 ? [PRODUCT, BASELINE] : [BASELINE, PRODUCT]) {
      const server = await startServer(system);
      serverStartMs[system.name].push(server.startMs);
      await server.stop();
    }
  }

  const server = await startServer(PRODUCT);
  const cliListMs: number[] = [];
  let cliFailures = 0;
  try {
    for (let round = 0; round < plan.rounds; round++) {
      const started = performance.now();
      const cli = spawnTracked(process.execPath, [CLI_MAIN, 'list', '--address', server.address], {stdio: 'ignore'});
      const timer = setTimeout(() => void stopChild(cli), 10_000);
      const [code] = (await once(cli, 'exit')) as [number | null];
      clearTimeout(timer);
      cliListMs.push(performance.now() - started);
      if (code !== 0) cliFailures++;
    }
  } finally {
    await server.stop();
  }

  const result: StartupResult = {
    serverStartMs: {product: spreadOf(serverStartMs.product), baseline: spreadOf(serverStartMs.baseline)},
    cliListMs: spreadOf(cliListMs),
    cliFailures,
  };
  log(
    `start-up to listening: product ${result.serverStartMs.product.median.toFixed(0)} ms, ` +
      `baseline ${result.serverStartMs.baseline.median.toFixed(0)} ms; CLI list ${result.cliListMs.median.toFixed(0)} ms`,
  );
  return result;
}

import {describeLogEntry, type LogEntry} from '../../test/helpers/change-log.js';

// The soak's verdict on its consumer: what the CLI printed in each of its
// lives, joined by its cursor file, against the change log.

/** One life of the consumer process, from its start to its exit. */
export interface ConsumerRun {
  readonly index: number;
  readonly address: string;
  /** The position in the cursor file when it started; undefined for the first run, which starts from now. */
  readonly startPosition: number | undefined;
  /** Every complete line it printed, as the change it names. */
  readonly lines: LogEntry[];
  /** Lines that were not a change (there should be none). */
  readonly strayLines: string[];
  /** Printed without its newline when the process died. */
  partialTail: string;
  stderr: string;
  /** How it ended: killed by the soak, stopped at the end, or by itself. */
  end?: 'killed' | 'stopped' | 'exited by itself';
  exit?: {code: number | null; signal: NodeJS.Signals | null};
  /** The position in the cursor file once it had exited. */
  cursorAtExit?: number;
}

export interface ConsumerCheck {
  readonly problems: string[];
  /** Lines kept, once each: what the consumer delivered. */
  readonly delivered: number;
  /** Lines printed after the cursor file's cursor before a kill: to be printed again by the next run. */
  readonly printedAgain: number;
}

/**
 * The consumer's output against the log. Its runs are joined by what the
 * cursor file said, and by nothing else: a run killed after printing a
 * line but before storing its cursor prints that line again in the next
 * run, which is allowed (the file did not have it); the next run printing
 * anything at or before the stored cursor is a repeat. The lines kept must
 * be the log after `startPosition` (where the first run started from now),
 * each change once, in order.
 */
export function checkConsumer(
  runs: readonly ConsumerRun[],
  log: readonly LogEntry[],
  startPosition: number,
): ConsumerCheck {
  const problems: string[] = [];
  const kept: LogEntry[] = [];
  let printedAgain = 0;
  for (const run of runs) {
    const from = run.startPosition ?? startPosition;
    const repeated = run.lines.filter((line) => line.position <= from);
    const [firstRepeated] = repeated;
    if (firstRepeated !== undefined)
      problems.push(
        `consumer run ${run.index} (started from the cursor file at ${from}) printed again ${repeated.length} change(s) at or before it, first ${describeLogEntry(firstRepeated)}`,
      );
    for (const line of run.strayLines)
      problems.push(`consumer run ${run.index} printed a line that is not a change: ${line}`);
    if (run.partialTail !== '' && run.end !== 'killed')
      problems.push(`consumer run ${run.index} ended in the middle of a line: ${run.partialTail}`);
    // The last run, stopped at the end, keeps all it printed; any other's
    // lines past the cursor it stored are for the next run to print.
    const upTo = run.end === 'stopped' ? Number.POSITIVE_INFINITY : (run.cursorAtExit ?? from);
    kept.push(...run.lines.filter((line) => line.position > from && line.position <= upTo));
    printedAgain += run.lines.filter((line) => line.position > upTo).length;
  }
  problems.push(
    ...compareWithLog(
      kept,
      log.filter((entry) => entry.position > startPosition),
    ),
  );
  return {problems, delivered: kept.length, printedAgain};
}

/** Where the delivered changes part from the log: missing, repeated, out of order or different. */
function compareWithLog(delivered: readonly LogEntry[], log: readonly LogEntry[]): string[] {
  const problems: string[] = [];
  const wanted = new Map(log.map((entry) => [entry.position, describeLogEntry(entry)]));
  const seen = new Map<number, number>();
  let previous = 0;
  for (const entry of delivered) {
    seen.set(entry.position, (seen.get(entry.position) ?? 0) + 1);
    const described = describeLogEntry(entry);
    const truth = wanted.get(entry.position);
    if (truth === undefined) problems.push(`delivered a change the log does not hold: ${described}`);
    else if (truth !== described) problems.push(`delivered ${described}; the log holds ${truth}`);
    if (entry.position <= previous)
      problems.push(`delivered ${entry.position} after ${previous}: out of order or repeated`);
    previous = Math.max(previous, entry.position);
  }
  const repeats = [...seen].filter(([, times]) => times > 1);
  const [firstRepeat] = repeats;
  if (firstRepeat !== undefined)
    problems.push(
      `${repeats.length} change(s) delivered more than once, first at ${firstRepeat[0]} (${firstRepeat[1]} times)`,
    );
  const missing = log.filter((entry) => !seen.has(entry.position));
  const [firstMissing] = missing;
  const lastMissing = missing.at(-1);
  if (firstMissing !== undefined && lastMissing !== undefined)
    problems.push(
      `${missing.length} change(s) of the log never delivered, first ${describeLogEntry(firstMissing)}, last ${describeLogEntry(lastMissing)}`,
    );
  return problems.slice(0, 20);
}

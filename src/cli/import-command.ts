import {existsSync} from 'node:fs';
import type {BooksClient} from '../client/client.js';
import {readBookRecords} from './book-records.js';
import type {CliIo} from './cli-io.js';
import {importBooks} from './import-books.js';
import {UsageError, type GlobalOptions} from './options.js';

/** Imports a file, drawing progress on a terminal, and prints the summary. Fails if any line was invalid. */
export async function runImport(
  client: BooksClient,
  io: CliIo,
  options: GlobalOptions,
  file: string,
  concurrency: number,
): Promise<void> {
  if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
  let lastDrawn = 0;
  const summary = await importBooks(client, readBookRecords(file), {
    concurrency,
    onProgress: io.stderrIsTerminal
      ? ({inserted, alreadyExisted, invalid}) => {
          if (performance.now() - lastDrawn < 200) return;
          lastDrawn = performance.now();
          io.stderr(`\r${inserted} inserted, ${alreadyExisted} already existed, ${invalid} invalid`);
        }
      : undefined,
  });
  if (io.stderrIsTerminal) io.stderr('\r\x1b[K');
  const rate = Math.round((summary.inserted + summary.alreadyExisted) / Math.max(summary.seconds, 0.001));
  if (options.json) {
    // Hundredths of a second are all a person or script needs: "seconds": 0.13, not 0.12949370800000002.
    const seconds = Math.round(summary.seconds * 100) / 100;
    await io.stdout(`${JSON.stringify({...summary, seconds, booksPerSecond: rate})}\n`);
  } else {
    await io.stdout(
      `Imported ${file}: ${summary.inserted} inserted, ${summary.alreadyExisted} already existed, ` +
        `${summary.invalid} invalid, in ${summary.seconds.toFixed(1)} s (${rate} books/s)\n`,
    );
    for (const {line, reason} of summary.invalidLines) await io.stdout(`  line ${line}: ${reason}\n`);
    if (summary.invalid > summary.invalidLines.length) {
      await io.stdout(`  ... and ${summary.invalid - summary.invalidLines.length} more invalid lines\n`);
    }
  }
  if (summary.invalid > 0) throw new Error(`${summary.invalid} invalid line(s) not imported`);
}

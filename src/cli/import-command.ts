import {open, type FileHandle} from 'node:fs/promises';
import type {BooksClient} from '../client/client.js';
import {readBookRecords} from './book-records.js';
import type {CliIo} from './cli-io.js';
import {importBooks} from './import-books.js';
import {InputFileError} from './input-file-error.js';
import type {GlobalOptions} from './options.js';
import {formatDuration, formatRate} from './print.js';

/** Imports a file, drawing progress on a terminal, and prints the summary. Fails if any line was invalid. */
export async function runImport(
  client: BooksClient,
  io: CliIo,
  options: GlobalOptions,
  file: string,
  concurrency: number,
): Promise<void> {
  // Opened before the first call: a file that cannot be read needs no server.
  const input = await openInput(file);
  let lastDrawn = 0;
  const summary = await importBooks(client, readBookRecords(file, input), {
    concurrency,
    onProgress: io.stderrIsTerminal
      ? ({inserted, alreadyExisted, invalid}) => {
          if (performance.now() - lastDrawn < 200) return;
          lastDrawn = performance.now();
          io.stderr(`\r${inserted} inserted, ${alreadyExisted} already existed, ${invalid} invalid`);
        }
      : undefined,
  }).finally(() => input.close());
  if (io.stderrIsTerminal) io.stderr('\r\x1b[K');
  const sent = summary.inserted + summary.alreadyExisted;
  if (options.json) {
    // Hundredths of a second are all a person or script needs: "seconds": 0.13, not 0.12949370800000002.
    const seconds = Math.round(summary.seconds * 100) / 100;
    const booksPerSecond = Math.round(sent / Math.max(summary.seconds, 0.001));
    await io.stdout(`${JSON.stringify({...summary, seconds, booksPerSecond})}\n`);
  } else {
    await io.stdout(
      `Imported ${file}: ${summary.inserted} inserted, ${summary.alreadyExisted} already existed, ` +
        `${summary.invalid} invalid, in ${formatDuration(summary.seconds)} (${formatRate(sent, summary.seconds)})\n`,
    );
    for (const {line, reason} of summary.invalidLines) await io.stdout(`  line ${line}: ${reason}\n`);
    if (summary.invalid > summary.invalidLines.length) {
      await io.stdout(`  ... and ${summary.invalid - summary.invalidLines.length} more invalid lines\n`);
    }
  }
  if (summary.invalid > 0) throw new Error(`${summary.invalid} invalid line(s) not imported`);
}

// What Node's file errors mean, for the one line a person reads.
const FILE_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
};

/** Opens the file to import, or throws an InputFileError that names it and says why it cannot be read. */
async function openInput(file: string): Promise<FileHandle> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file);
    // A directory opens, and fails only when read.
    if ((await handle.stat()).isDirectory()) throw Object.assign(new Error('a directory'), {code: 'EISDIR'});
    return handle;
  } catch (error: unknown) {
    await handle?.close();
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const reason = FILE_ERRORS[code] ?? (error instanceof Error ? error.message : String(error));
    throw new InputFileError(`cannot read ${file}: ${reason}`);
  }
}

import {Readable, pipeline} from 'node:stream';
import {parse, type CsvError, type Parser} from 'csv-parse';

/** One CSV record and the line it starts on (1-based), or why the file cannot be read from that line on. */
export type CsvRecord =
  | {readonly line: number; readonly fields: string[]; readonly error?: undefined}
  | {readonly line: number; readonly fields?: undefined; readonly error: string};

/** Longer than any book could be: a record this long is a quote left open, not data. */
const MAX_RECORD_BYTES = 64 * 1024;

/**
 * Parses RFC 4180 CSV (csv-parse): quoted fields may hold commas, doubled
 * quotes and line breaks; a stray quote inside an unquoted field is kept as
 * text. Yields records as they complete, so memory stays bounded by the
 * longest record. Blank lines are skipped. A syntax error, such as a quote
 * never closed, is the last record: nothing after it can be trusted.
 */
export async function* parseCsv(chunks: AsyncIterable<string>): AsyncGenerator<CsvRecord> {
  // The first syntax error, and how many records came before it.
  let failure: {readonly error: CsvError; readonly records: number} | undefined;
  const parser: Parser = parse({
    bom: true,
    relax_quotes: true,
    relax_column_count: true,
    max_record_size: MAX_RECORD_BYTES,
    // Kept to count lines: csv-parse's own count takes a CRLF inside quotes for two lines.
    raw: true,
    // A thrown error would drop the records parsed before it; this keeps them, in order.
    skip_records_with_error: true,
    on_skip: (error) => {
      if (error !== undefined) failure ??= {error, records: parser.info.records};
      return undefined;
    },
  });
  pipeline(Readable.from(chunks), parser, () => {});
  let line = 1;
  let records = 0;
  for await (const {record, raw} of parser as AsyncIterable<{record: string[]; raw: string}>) {
    if (failure !== undefined && records >= failure.records) break;
    records++;
    const start = line;
    line += lineBreaks(raw);
    if (!(record.length === 1 && record[0] === '')) yield {line: start, fields: record};
  }
  if (failure !== undefined) yield {line, error: describe(failure.error)};
}

function lineBreaks(text: string): number {
  return text.match(/\r\n|\r|\n/g)?.length ?? 0;
}

function describe(error: CsvError): string {
  const unread = 'so the rest of the file was not read';
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return `unterminated quote: a quoted field that starts in this record never ends, ${unread}`;
    case 'CSV_MAX_RECORD_SIZE':
      return `a record longer than ${MAX_RECORD_BYTES / 1024} KiB starts here (an unterminated quote?), ${unread}`;
    default:
      return `${error.message}, ${unread}`;
  }
}

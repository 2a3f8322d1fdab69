/** One CSV record and the line it starts on (1-based), for error messages. */
export interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
}

/**
 * Parses RFC 4180 CSV from a stream of text chunks: quoted fields may hold
 * commas, doubled quotes and line breaks. Yields records as they complete,
 * so memory stays bounded by the longest record.
 */
export async function* parseCsv(chunks: AsyncIterable<string>): AsyncGenerator<CsvRecord> {
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let afterQuote = false; // a quote inside a quoted field: an escape, or its end
  let line = 1;
  let recordLine = 1;
  let pendingCR = false;
  const endField = (): void => {
    fields.push(field);
    field = '';
  };
  for await (const chunk of chunks) {
    for (const char of chunk) {
      if (pendingCR) {
        pendingCR = false;
        if (char === '\n') continue;
      }
      if (quoted) {
        if (afterQuote) {
          afterQuote = false;
          if (char === '"') {
            field += '"';
            continue;
          }
          quoted = false; // the quote closed the field: handle `char` below
        } else if (char === '"') {
          afterQuote = true;
          continue;
        } else {
          if (char === '\n') line++;
          field += char;
          continue;
        }
      }
      if (char === '"' && field === '') {
        quoted = true;
      } else if (char === ',') {
        endField();
      } else if (char === '\n' || char === '\r') {
        pendingCR = char === '\r';
        endField();
        if (!(fields.length === 1 && fields[0] === '')) yield {line: recordLine, fields};
        fields = [];
        recordLine = ++line;
      } else {
        field += char;
      }
    }
  }
  if (field !== '' || fields.length > 0 || afterQuote) {
    endField();
    yield {line: recordLine, fields};
  }
}

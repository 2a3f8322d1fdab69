import type {FileHandle} from 'node:fs/promises';
import {createInterface} from 'node:readline';
import {MAX_BOOK_ID} from '../client/index.js';
import type {Book} from '../gen/books/books.js';
import {parseCsv} from './csv.js';

/** A book read from an import file, or why its line could not be read as one. */
export type BookRecord =
  | {readonly line: number; readonly book: Book; readonly error?: undefined}
  | {readonly line: number; readonly book?: undefined; readonly error: string};

/**
 * Reads books from CSV with a header row (columns id, title, author in any
 * order) or from JSON Lines (one {"id", "title", "author"} object per line),
 * chosen by the file name: `.csv`, else JSON Lines.
 */
export function readBookRecords(path: string, file: FileHandle): AsyncGenerator<BookRecord> {
  const text = file.createReadStream({encoding: 'utf8'});
  return withoutRepeatedIds(/\.csv$/i.test(path) ? csvRecords(text) : jsonLinesRecords(text));
}

/**
 * An id seen earlier in the same file is a mistake in the file, told with
 * both lines, not a book that "already existed".
 */
async function* withoutRepeatedIds(records: AsyncIterable<BookRecord>): AsyncGenerator<BookRecord> {
  const firstLines = new Map<number, number>();
  for await (const record of records) {
    if (record.book !== undefined) {
      const first = firstLines.get(record.book.id);
      if (first !== undefined) {
        yield {line: record.line, error: `id ${record.book.id} already appears on line ${first}`};
        continue;
      }
      firstLines.set(record.book.id, record.line);
    }
    yield record;
  }
}

async function* csvRecords(text: AsyncIterable<string>): AsyncGenerator<BookRecord> {
  let columns: {id: number; title: number; author: number} | undefined;
  for await (const {line, fields, error} of parseCsv(text)) {
    if (error !== undefined) {
      yield {line, error};
      return;
    }
    if (columns === undefined) {
      const header = fields.map((name) => name.trim().toLowerCase());
      columns = {id: header.indexOf('id'), title: header.indexOf('title'), author: header.indexOf('author')};
      if (columns.id < 0 || columns.title < 0 || columns.author < 0) {
        yield {line, error: 'the header must name the columns id, title and author'};
        return;
      }
      continue;
    }
    if (fields.length !== 3) {
      yield {line, error: `expected 3 fields, found ${fields.length}`};
      continue;
    }
    yield toRecord(line, fields[columns.id], fields[columns.title], fields[columns.author]);
  }
}

async function* jsonLinesRecords(text: AsyncIterable<string>): AsyncGenerator<BookRecord> {
  let line = 0;
  for await (const content of createInterface({input: text as NodeJS.ReadableStream, crlfDelay: Infinity})) {
    line++;
    if (content.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch {
      yield {line, error: 'not valid JSON'};
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield {line, error: 'expected a JSON object'};
      continue;
    }
    const {id, title, author} = value as Record<string, unknown>;
    yield toRecord(line, id, title, author);
  }
}

function toRecord(line: number, id: unknown, title: unknown, author: unknown): BookRecord {
  const number = typeof id === 'string' && /^\s*-?\d+\s*$/.test(id) ? Number(id) : id;
  if (typeof number !== 'number' || !Number.isInteger(number) || Math.abs(number) > MAX_BOOK_ID) {
    return {line, error: `id must be a 32-bit integer, got ${JSON.stringify(id) ?? 'nothing'}`};
  }
  if (typeof title !== 'string') return {line, error: 'title must be a string'};
  if (typeof author !== 'string') return {line, error: 'author must be a string'};
  return {line, book: {id: number, title, author}};
}

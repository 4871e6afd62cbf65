// Readers turn a CSV or Parquet file into records of raw strings with their line (CSV) or row
// (Parquet) numbers. A problem with the whole file (unreadable, not UTF-8, a wrong header) throws
// FileError; a problem with one record is yielded as a broken record so that it is reported and the
// rest still loads.
import fs from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { parse } from 'csv-parse';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Database } from '../db/database.js';

export class FileError extends Error {}

export type RawRecord = { line: number; fields: string[] } | { line: number; broken: string };

export interface ReadProgress {
  (doneBytes: number, totalBytes: number): void;
}

/** Validates UTF-8 as the bytes stream past; the BOM, if any, is dropped. */
class Utf8Check extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private offset = 0;
  constructor(private readonly onBytes: (n: number) => void) {
    super({ readableObjectMode: false });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      const text = this.decoder.decode(chunk, { stream: true });
      this.offset += chunk.length;
      this.onBytes(this.offset);
      done(null, text);
    } catch {
      done(new FileError(`is not valid UTF-8 (bad bytes within the first ${this.offset + chunk.length} bytes); save it as UTF-8`));
    }
  }
  override _flush(done: TransformCallback): void {
    try {
      const rest = this.decoder.decode();
      done(null, rest);
    } catch {
      done(new FileError('is not valid UTF-8 (it ends inside a character)'));
    }
  }
}

/**
 * Line breaks inside a record's (quoted) fields: the true count, and the CRLFs among them, which
 * csv-parse's line counter counts twice. Both are needed to report the line a record starts on.
 */
function breaksInFields(fields: string[]): { breaks: number; crlf: number } {
  let breaks = 0;
  let crlf = 0;
  for (const field of fields) {
    if (field.indexOf('\n') < 0 && field.indexOf('\r') < 0) continue;
    for (let i = 0; i < field.length; i++) {
      const c = field.charCodeAt(i);
      if (c === 10) breaks++;
      else if (c === 13) {
        if (field.charCodeAt(i + 1) === 10) crlf++;
        else breaks++;
      }
    }
  }
  return { breaks, crlf };
}

/**
 * The header of a CSV file as csv-parse reads it (BOM dropped, names trimmed), from its first line; null
 * when it cannot be read. Only used to choose between a table's column lists (TableSpec.optional): the
 * reader itself checks the header again.
 */
export function peekCsvHeader(file: string): string[] | null {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(64 * 1024);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      let text = buf.subarray(0, n).toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      const end = text.search(/[\r\n]/);
      const line = end < 0 ? text : text.slice(0, end);
      return line.split(',').map((f) => {
        const t = f.trim();
        return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).trim() : t;
      });
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** The column names of a Parquet file, or null when it cannot be read (the reader then refuses it). */
export async function peekParquetColumns(db: Database, file: string): Promise<string[] | null> {
  try {
    const described = await db.readAside((conn) => conn.runAndReadAll('SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet($file))', { file }));
    return described.getRowObjectsJS().map((r) => r.column_name as string);
  } catch {
    return null;
  }
}

export async function* readCsv(file: string, columns: string[], onProgress?: ReadProgress): AsyncGenerator<RawRecord> {
  let total = 0;
  try {
    total = fs.statSync(file).size;
  } catch (error) {
    throw new FileError(`cannot be read: ${(error as Error).message}`);
  }
  if (total === 0) throw new FileError(`is empty; expected the header ${columns.join(',')}`);
  const broken: RawRecord[] = [];
  const parser = parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true, skip_records_with_error: true, max_record_size: 64 << 20 });
  parser.on('skip', (error: Error & { lines?: number }) => {
    broken.push({ line: error.lines ?? 0, broken: `not valid CSV: ${error.message}` });
  });
  const source = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  const check = new Utf8Check((n) => onProgress?.(n, total));
  source.on('error', (error) => parser.destroy(new FileError(`cannot be read: ${error.message}`)));
  check.on('error', (error) => parser.destroy(error));
  source.pipe(check).pipe(parser);
  let header = true;
  let overcount = 0;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      while (broken.length > 0) yield broken.shift()!;
      const fields = item.record;
      const { breaks, crlf } = breaksInFields(fields);
      overcount += crlf;
      const line = item.info.lines - overcount - breaks;
      if (header) {
        header = false;
        const found = fields.map((f) => f.trim());
        if (found.length !== columns.length || found.some((name, i) => name !== columns[i])) {
          throw new FileError(`has the header '${found.join(',')}' on line ${line}; expected '${columns.join(',')}' (names and order exactly)`);
        }
        continue;
      }
      yield { line, fields };
    }
  } catch (error) {
    if (error instanceof FileError) throw error;
    throw new FileError(`could not be parsed as CSV: ${(error as Error).message}`);
  }
  while (broken.length > 0) yield broken.shift()!;
  if (header) throw new FileError(`has no header; expected '${columns.join(',')}'`);
}

/**
 * Opens a Parquet file for reading on connections of their own (Database.readAside: the writer holds a pooled
 * one, perhaps the only one, and an unreadable file must not abort its transaction) and checks its columns by
 * name. Returns the query function; a file that fails to read, now or later, is refused whole (FileError).
 */
export async function openParquet(
  db: Database,
  file: string,
  columns: string[],
): Promise<(sql: string, params: Record<string, string | number>) => ReturnType<DuckDBConnection['runAndReadAll']>> {
  const read = (sql: string, params: Record<string, string | number>) =>
    db
      .readAside((conn) => conn.runAndReadAll(sql, params))
      .catch((error: Error) => {
        throw new FileError(`is not a readable Parquet file: ${error.message.split('\n')[0]}`);
      });
  const described = await read('SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet($file))', { file });
  const names = described.getRowObjectsJS().map((r) => r.column_name as string);
  const missing = columns.filter((c) => !names.includes(c));
  const extra = names.filter((n) => !columns.includes(n));
  if (missing.length > 0 || extra.length > 0) {
    throw new FileError(
      `has the columns '${names.join(',')}'; expected '${columns.join(',')}'` +
        (missing.length ? ` (missing ${missing.join(', ')})` : '') +
        (extra.length ? ` (unexpected ${extra.join(', ')})` : ''),
    );
  }
  return read;
}

/**
 * Parquet columns are matched by name (order does not matter) and read as text, so they pass
 * through the same field readers as CSV. A TIMESTAMP without a zone reads as platform time, like an
 * offset-less CSV timestamp; a TIMESTAMPTZ keeps its instant.
 */
export async function* readParquet(db: Database, file: string, columns: string[], onProgress?: ReadProgress): AsyncGenerator<RawRecord> {
  const read = await openParquet(db, file, columns);
  const select = columns.map((c) => `coalesce(CAST("${c.replaceAll('"', '')}" AS VARCHAR), '')`).join(', ');
  const total = Number((await read('SELECT count(*) AS n FROM read_parquet($file)', { file })).getRowObjectsJS()[0].n);
  // Read in slices, each read whole before its rows go to the writer's stage.
  const SLICE = 100_000;
  for (let start = 0; start < total; start += SLICE) {
    const reader = await read(
      `SELECT file_row_number, ${select} FROM read_parquet($file, file_row_number = true)
       WHERE file_row_number >= $start AND file_row_number < $end ORDER BY file_row_number`,
      { file, start, end: start + SLICE },
    );
    for (const row of reader.getRowsJS()) yield { line: Number(row[0]) + 1, fields: row.slice(1).map((v) => v as string) };
    onProgress?.(Math.min(start + SLICE, total), total);
  }
}

// A fast pass over a CSV file's bytes before DuckDB reads it in bulk (bulk.ts). It checks that the file
// is plain enough for DuckDB's reader to see exactly the records csv-parse would — valid UTF-8, the
// expected header, quotes only around whole fields, one kind of line end, the right field count on every
// row, no NUL byte — and notes the physical line each record starts on, as breakpoints: a record's line
// is its index plus a constant between two breakpoints (quoted newlines and skipped blank lines move it).
// Anything else sends the file through the exact row-by-row reader (readers.ts), whose report is the
// reference.
import fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { parse } from 'csv-parse/sync';

export interface Breakpoint {
  /** Record index (0 is the header). */
  k: number;
  /** The physical line (from 1) that record starts on. */
  line: number;
}

export type Prepass =
  | {
      fast: true;
      /** Records, the header included. */
      records: number;
      /** Where line − k changes; always starts with the header's. */
      breakpoints: Breakpoint[];
      crlf: boolean;
      /** Whether some quoted field holds a line break. */
      quotedBreaks: boolean;
      /** Whether the file holds a control character other than its line ends (a tab, say). */
      controls: boolean;
      /** The first field of a sample of records (unquoted ones), to check DuckDB read the same records in the same order. */
      samples: { k: number; first: string }[];
      /** Records with another number of fields than the header's: not among `records` (DuckDB skips them too). */
      wrongCount: { line: number; fields: number; first: string }[];
    }
  | { fast: false; why: string };

const CHUNK = 8 << 20;
const SAMPLE_EVERY = 50_000;
/** Past this many rows with a wrong field count the file goes to the row reader. */
const MAX_WRONG_COUNT = 100_000;
/** Longer records go through the row reader (csv-parse's limit is far beyond; DuckDB is given more). */
export const MAX_FAST_RECORD = 16 << 20;

const enum S {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
}

/** The number of bytes at the end of buf that begin a UTF-8 sequence the buffer does not finish. */
function incompleteTail(buf: Buffer, end: number): number {
  for (let back = 1; back <= 3 && back <= end; back++) {
    const b = buf[end - back];
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

export async function prepassCsv(file: string, columns: string[], onBytes?: (done: number, total: number) => void): Promise<Prepass> {
  try {
    return await scan(file, columns, onBytes);
  } catch (error) {
    // Unreadable (a folder, no permission...): the row reader refuses it in its own words.
    return { fast: false, why: (error as Error).message };
  }
}

async function scan(file: string, columns: string[], onBytes?: (done: number, total: number) => void): Promise<Prepass> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const total = (await handle.stat()).size;
    if (total === 0) return { fast: false, why: 'empty' };
    const buf = Buffer.allocUnsafe(CHUNK + 4);
    let carry = 0; // bytes of an unfinished UTF-8 sequence kept at the start of buf
    let offset = 0; // bytes of the file read so far
    let state = S.FieldStart;
    let line = 1; // physical line of the current byte
    let recordStarted = false;
    let recordLine = 1;
    let recordBytes = 0;
    let fields = 0;
    let k = 0; // records so far
    let lastStop = 0;
    let lastLine = -1;
    const breakpoints: Breakpoint[] = [];
    let cr = 0;
    let lf = 0;
    let crlf = 0;
    let pendingCr = false;
    let quotedBreaks = false;
    let controls = false;
    let header: Buffer[] | null = [];
    let headerEnd = -1; // where the header record ends in the current chunk
    const samples: { k: number; first: string }[] = [];
    let sampleStart = -1; // where the sampled record's first field starts in the current chunk
    const expected = columns.length;
    const wrongCount: { line: number; fields: number; first: string }[] = [];
    let pendingSample: string | null = null; // the first field of the current record, when sampled
    let recordStart = -1; // where the current record starts in the current chunk (-1: in an earlier one)
    let firstEnd = -1; // where its first field ends
    const endRecord = (at: number): string | null => {
      if (!recordStarted) return null; // a blank line: csv-parse and DuckDB both skip it
      if (fields === 0) firstEnd = at;
      if (fields + 1 !== expected && k > 0) {
        // Rejected as the row reader would: "has N fields", naming its first field.
        if (recordStart < 0 || firstEnd < 0 || wrongCount.length >= MAX_WRONG_COUNT) return 'field count';
        let first = buf.toString('utf8', recordStart, firstEnd);
        if (first.startsWith('"')) first = first.slice(1, -1).replaceAll('""', '"');
        wrongCount.push({ line: recordLine, fields: fields + 1, first });
        pendingSample = null;
        recordStarted = false;
        fields = 0;
        recordBytes = 0;
        return null;
      }
      if (recordLine !== lastLine + 1) breakpoints.push({ k, line: recordLine });
      if (pendingSample !== null) samples.push({ k, first: pendingSample });
      pendingSample = null;
      lastLine = recordLine;
      k++;
      recordStarted = false;
      fields = 0;
      recordBytes = 0;
      return null;
    };
    for (;;) {
      const { bytesRead } = await handle.read(buf, carry, CHUNK, offset);
      const end = carry + bytesRead;
      if (bytesRead === 0) {
        if (carry > 0) return { fast: false, why: 'utf-8' };
        break;
      }
      recordStart = -1; // a record begun in the chunk before cannot be read back from this one
      let start = 0;
      if (offset === 0 && end >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3; // the BOM
      offset += bytesRead;
      const tail = offset < total ? incompleteTail(buf, end) : 0;
      const stop = end - tail;
      if (!isUtf8(buf.subarray(0, stop))) return { fast: false, why: 'utf-8' };
      for (let i = start; i < stop; i++) {
        const c = buf[i];
        // Most bytes (digits, letters, '-', '.', ':', UTF-8) change nothing inside an unquoted or quoted field.
        if (c > 44 && (state === S.Unquoted || state === S.Quoted) && !pendingCr) {
          if (++recordBytes > MAX_FAST_RECORD) return { fast: false, why: 'long record' };
          continue;
        }
        const afterCr = pendingCr;
        if (afterCr) {
          pendingCr = false;
          if (c !== 10) return { fast: false, why: 'bare CR' };
        }
        if (c === 13) {
          cr++;
          pendingCr = true;
          continue;
        }
        if (c < 32 && c !== 10) {
          if (c === 0) return { fast: false, why: 'NUL' };
          controls = true;
        }
        if (c === 10) {
          lf++;
          if (afterCr) crlf++;
        }
        switch (state) {
          case S.FieldStart:
          case S.Unquoted:
            if (c === 10) {
              if (endRecord(afterCr ? i - 1 : i)) return { fast: false, why: 'field count' };
              if (k === 1 && headerEnd < 0) headerEnd = i + 1;
              state = S.FieldStart;
              line++;
              continue;
            }
            if (!recordStarted) {
              recordStarted = true;
              recordLine = line;
              recordStart = i;
              firstEnd = -1;
              if (k % SAMPLE_EVERY === 1) sampleStart = i;
            }
            if (c === 44) {
              if (fields === 0) firstEnd = i;
              if (fields === 0 && sampleStart >= 0) {
                pendingSample = buf.toString('utf8', sampleStart, i);
                sampleStart = -1;
              }
              fields++;
              state = S.FieldStart;
            } else if (c === 34) {
              if (state === S.Unquoted) return { fast: false, why: 'stray quote' };
              if (fields === 0) sampleStart = -1; // a quoted first field: not sampled
              state = S.Quoted;
            } else state = S.Unquoted;
            break;
          case S.Quoted:
            if (c === 34) state = S.QuoteInQuoted;
            else if (c === 10) {
              line++;
              quotedBreaks = true;
            }
            break;
          case S.QuoteInQuoted:
            if (c === 34) state = S.Quoted;
            else if (c === 44) {
              if (fields === 0) firstEnd = i;
              fields++;
              state = S.FieldStart;
            } else if (c === 10) {
              if (endRecord(afterCr ? i - 1 : i)) return { fast: false, why: 'field count' };
              if (k === 1 && headerEnd < 0) headerEnd = i + 1;
              state = S.FieldStart;
              line++;
              continue;
            } else return { fast: false, why: 'text after a closing quote' };
            break;
        }
        if (++recordBytes > MAX_FAST_RECORD) return { fast: false, why: 'long record' };
      }
      // The header, as csv-parse will read it: collected until its record ends.
      if (header) {
        header.push(Buffer.from(buf.subarray(start, headerEnd >= 0 ? headerEnd : stop)));
        if (headerEnd >= 0) {
          const text = Buffer.concat(header).toString('utf8');
          header = null;
          const records: string[][] = parse(text, { relax_column_count: true, skip_empty_lines: true });
          const found = records[0]?.map((f) => f.trim()) ?? [];
          if (found.length !== expected || found.some((name, i) => name !== columns[i])) return { fast: false, why: 'header' };
        } else if (header.length > 4) return { fast: false, why: 'long header' };
      }
      sampleStart = -1; // a sample does not span chunks
      lastStop = stop;
      buf.copy(buf, 0, stop, end);
      carry = tail;
      onBytes?.(offset, total);
    }
    if (pendingCr) return { fast: false, why: 'bare CR' };
    if (state === S.Quoted) return { fast: false, why: 'open quote' };
    if (endRecord(recordStart >= 0 ? lastStop : -1)) return { fast: false, why: 'field count' };
    if (k === 0 || header) return { fast: false, why: 'no header' };
    // One kind of line end: LF everywhere, or CRLF everywhere (quoted ones included).
    if (cr > 0 && !(cr === lf && crlf === lf)) return { fast: false, why: 'mixed line ends' };
    return { fast: true, records: k, breakpoints, crlf: cr > 0, quotedBreaks, controls, samples, wrongCount };
  } finally {
    await handle.close();
  }
}

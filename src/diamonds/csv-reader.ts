import { parse } from 'csv-parse';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readHeader, RowRules, RowVerdict, validateRow } from './diamond-row.validator';
import { PricedDiamond } from './diamond-vocabulary';

export interface AcceptedRow {
  lineNumber: number;
  diamond: PricedDiamond;
}
export interface RejectedRow {
  lineNumber: number;
  rawText: string;
  reasons: string[];
}
/** Longest raw text (and reason) kept per rejected row: a 10 MB line is not stored twice. */
const MAX_REJECTED_TEXT = 2000;

/** The text cut to `max` characters, saying so and how long it was. */
function capText(text: string, max: number): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max)}…[cut: ${text.length} characters in all]`;
}

/** A whole file refused: wrong header, empty, not CSV. Nothing from it is stored. */
export class FileRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileRefusedError';
  }
}

/** The file's sha256 and size, and whether any byte of it is NUL (text files have none). */
async function sha256File(
  path: string,
): Promise<{ sha256: string; sizeBytes: number; hasNul: boolean }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  let hasNul = false;
  for await (const chunk of createReadStream(path)) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    sizeBytes += bytes.length;
    // Anywhere in the file, not only its first 4 KB: PostgreSQL text cannot hold a NUL.
    if (!hasNul && bytes.includes(0)) hasNul = true;
  }
  return { sha256: hash.digest('hex'), sizeBytes, hasNul };
}

export type CsvRow = { accepted: AcceptedRow } | { rejected: RejectedRow };

/** Checks the file as a whole before any row is read: its sha256, not empty, no NUL anywhere. */
export async function inspectCsvFile(path: string): Promise<{ sha256: string; sizeBytes: number }> {
  const { sha256, sizeBytes, hasNul } = await sha256File(path);
  if (sizeBytes === 0) throw new FileRefusedError('The file is empty');
  if (hasNul)
    throw new FileRefusedError('The file is not CSV text (it contains binary data: a NUL byte)');
  return { sha256, sizeBytes };
}

/**
 * Stream-parses a diamonds CSV (BOM, CRLF, quoted fields handled by csv-parse) and yields every
 * row, accepted or rejected with its reasons, one at a time: memory stays bounded whatever the
 * file's size. Throws FileRefusedError when the file is unparsable, has the wrong header or no row.
 */
export async function* readDiamondRows(path: string, rules?: RowRules): AsyncGenerator<CsvRow> {
  const parser = createReadStream(path).pipe(
    parse({
      bom: true,
      relax_column_count: true,
      // A stray quote inside a field (5"x) stays part of the field: that row is judged, not the file.
      relax_quotes: true,
      skip_empty_lines: true,
      info: true,
      raw: true,
    }),
  );
  let header: { index: Record<string, number>; width: number } | undefined;
  let rows = 0;
  try {
    for await (const item of parser as AsyncIterable<{
      record: string[];
      raw: string;
      info: { lines: number };
    }>) {
      if (!header) {
        const h = readHeader(item.record);
        if (!h.ok) throw new FileRefusedError(h.reason);
        header = { index: h.index, width: item.record.length };
        continue;
      }
      rows++;
      const lineNumber = item.info.lines;
      const verdict: RowVerdict = validateRow(item.record, header.index, header.width, rules);
      if (verdict.ok) yield { accepted: { lineNumber, diamond: verdict.diamond } };
      else
        yield {
          rejected: {
            lineNumber,
            rawText: capText(item.raw.replace(/[\r\n]+$/, ''), MAX_REJECTED_TEXT),
            reasons: verdict.reasons.map((r) => capText(r, MAX_REJECTED_TEXT)),
          },
        };
    }
  } catch (err) {
    if (err instanceof FileRefusedError) throw err;
    const e = err as { message?: string };
    throw new FileRefusedError(`The file is not valid CSV: ${e.message ?? String(err)}`);
  } finally {
    parser.destroy();
  }
  if (!header) throw new FileRefusedError('The file is empty');
  if (rows === 0) throw new FileRefusedError('The file has a header but no data rows');
}

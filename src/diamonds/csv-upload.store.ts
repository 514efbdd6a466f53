import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError, ErrorCode } from '../common/domain-error';

/** The body exceeded UPLOAD_MAX_BYTES: 413, with the limit so the caller can split the file. */
export class UploadTooLargeError extends DomainError {
  constructor(limit: number) {
    super(
      ErrorCode.PayloadTooLarge,
      `Upload too large: the limit is ${limit} bytes (UPLOAD_MAX_BYTES)`,
      [{ field: 'body', rules: { maxBytes: `at most ${limit} bytes` }, value: limit }],
    );
  }
}

/**
 * Streams an upload to a private temp file, counting bytes as they arrive: a body over the
 * limit is cut off at limit + 1 bytes (never buffered in memory, never fully written to disk).
 * The caller removes the file with the returned `remove()`.
 */
export async function streamToTempFile(
  body: Readable,
  dir: string,
  limit: number,
): Promise<{ path: string; bytes: number; remove: () => Promise<void> }> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `upload-${randomUUID()}.csv`);
  const remove = () => rm(path, { force: true });
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > limit) done(new UploadTooLargeError(limit));
      else done(null, chunk);
    },
  });
  try {
    await pipeline(body, counter, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  } catch (err) {
    await remove();
    throw err;
  }
  return { path, bytes, remove };
}

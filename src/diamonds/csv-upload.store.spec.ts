import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { streamToTempFile, UploadTooLargeError } from './csv-upload.store';

describe('streamToTempFile', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'upload-spec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // A chunked body without Content-Length: only the byte count while streaming can stop it.
  const chunks = (n: number, size: number) =>
    Readable.from(Array.from({ length: n }, () => Buffer.alloc(size, 0x61)));

  it('writes a body within the limit and reports its size', async () => {
    const file = await streamToTempFile(chunks(4, 100), dir, 400);
    expect(file.bytes).toBe(400);
    expect(readFileSync(file.path).length).toBe(400);
    await file.remove();
    expect(existsSync(file.path)).toBe(false);
  });

  it('stops a body at the first byte over the limit and leaves no file behind', async () => {
    let pulled = 0;
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < 1000; i++) {
          pulled++;
          yield Buffer.alloc(100, 0x61);
        }
      })(),
    );
    await expect(streamToTempFile(body, dir, 250)).rejects.toBeInstanceOf(UploadTooLargeError);
    expect(pulled).toBeLessThan(10);
    expect(readdirSync(dir)).toEqual([]);
  });
});

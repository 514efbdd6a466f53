/** A size as written in settings (`1mb`, `512kb`, `4096`), in the units body-parser used: 1 kb = 1024 bytes. */
export const BYTE_SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i;

const UNIT: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

export function parseByteSize(text: string): number {
  const match = BYTE_SIZE.exec(text.trim());
  if (!match) throw new Error(`Not a size: ${text} (write e.g. 1mb, 512kb or 4096)`);
  return Math.floor(Number(match[1]) * UNIT[(match[2] ?? 'b').toLowerCase()]);
}

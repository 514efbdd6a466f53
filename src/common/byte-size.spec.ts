import { parseByteSize } from './byte-size';

describe('parseByteSize', () => {
  it('reads the units BODY_LIMIT has always been written in', () => {
    expect(parseByteSize('2kb')).toBe(2048);
    expect(parseByteSize('1mb')).toBe(1048576);
    expect(parseByteSize('1.5KB')).toBe(1536);
    expect(parseByteSize('4096')).toBe(4096);
  });

  it('refuses what is not a size', () => {
    expect(() => parseByteSize('lots')).toThrow(/Not a size: lots/);
  });
});

import { existsSync } from 'node:fs';

/**
 * Whether a file of ../shared/data (outside the repository) is here. When it is absent the caller
 * skips its tests, and this says so in the output; in CI (CI=true), where the file is always
 * there, its absence is an error instead of a silent skip.
 */
export function sharedFileAvailable(file: string, skipped: string): boolean {
  if (existsSync(file)) return true;
  const message = `${file} is absent: ${skipped}`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true requires the file)`);
  console.warn(`SKIPPED: ${message}`);
  return false;
}

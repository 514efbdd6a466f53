import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let cached: string | undefined;

/** package version + git commit (GIT_SHA env, else `git rev-parse`), recorded with every model. */
export function codeVersion(): string {
  if (cached) return cached;
  let pkg = '0.0.0';
  try {
    pkg = (
      JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    /* not run from the project folder */
  }
  let sha = process.env.GIT_SHA ?? '';
  if (!sha) {
    try {
      sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .toString()
        .trim();
    } catch {
      sha = 'unknown';
    }
  }
  cached = `${pkg}+${sha}`;
  return cached;
}

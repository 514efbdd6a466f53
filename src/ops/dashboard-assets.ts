import { StreamableFile } from '@nestjs/common';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { DomainError, ErrorCode } from '../common/domain-error';

/**
 * The pages and their scripts, read once: they ship with the app (no CDN, the service may run
 * offline). Every file of ops/public is served by its name, so a new page or script needs no code.
 */
interface DashboardAsset {
  body: Buffer;
  type: string;
}

const PUBLIC_DIR = join(__dirname, 'public');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** A plain file name: no separator, no leading dot, so nothing outside the folder can be named. */
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

// chart.js's package exports only its module builds; its UMD build sits beside the CommonJS one.
const EXTRA: Record<string, string> = {
  'chart.umd.js': join(dirname(require.resolve('chart.js')), 'chart.umd.js'),
};

const cache = new Map<string, DashboardAsset>();

/** The asset of that name, from ops/public (or the chart library), or undefined. */
function dashboardAsset(name: string): DashboardAsset | undefined {
  const cached = cache.get(name);
  if (cached) return cached;
  if (!SAFE_NAME.test(name)) return undefined;
  const path = Object.hasOwn(EXTRA, name) ? EXTRA[name] : join(PUBLIC_DIR, name);
  const type = TYPES[extname(name)];
  if (!type || !existsSync(path)) return undefined;
  const asset = { body: readFileSync(path), type };
  cache.set(name, asset);
  return asset;
}

/** The file of that name as a response body (no adapter types), or 404 NOT_FOUND. */
export function publicFile(name: string): StreamableFile {
  const asset = dashboardAsset(name);
  if (!asset) throw new DomainError(ErrorCode.NotFound, `No asset named ${name}`);
  return new StreamableFile(asset.body, { type: asset.type, length: asset.body.length });
}

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The page and its scripts, read once: they ship with the app (no CDN, the service may run offline). */
export interface DashboardAsset {
  body: Buffer;
  type: string;
}

const PUBLIC_DIR = join(__dirname, 'public');

function load(path: string, type: string): () => DashboardAsset {
  let cached: DashboardAsset | undefined;
  return () => (cached ??= { body: readFileSync(path), type });
}

export const DASHBOARD_ASSETS: Record<string, () => DashboardAsset> = {
  // chart.js's package exports only its module builds; its UMD build sits beside the CommonJS one.
  'chart.umd.js': load(
    join(dirname(require.resolve('chart.js')), 'chart.umd.js'),
    'application/javascript; charset=utf-8',
  ),
  'dashboard.js': load(join(PUBLIC_DIR, 'dashboard.js'), 'application/javascript; charset=utf-8'),
  'dashboard.css': load(join(PUBLIC_DIR, 'dashboard.css'), 'text/css; charset=utf-8'),
  'version.js': load(join(PUBLIC_DIR, 'version.js'), 'application/javascript; charset=utf-8'),
};

export const dashboardPage = load(join(PUBLIC_DIR, 'dashboard.html'), 'text/html; charset=utf-8');
export const versionPage = load(join(PUBLIC_DIR, 'version.html'), 'text/html; charset=utf-8');

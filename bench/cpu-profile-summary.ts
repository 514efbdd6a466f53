import { readFileSync } from 'node:fs';

/** The parts of a V8 .cpuprofile the summary reads. */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a function lives, in the few groups the README talks about. */
export function groupOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)' || functionName === '(program)') return functionName;
    return 'V8 / native';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const src = /\/dist\/(.+?)\.js$/.exec(url) ?? /\/src\/(.+?)\.ts$/.exec(url);
  if (src) return `app: ${src[1]}`;
  return url;
}

/**
 * Self time per group and the top functions of a profile, in % of the busy (non-idle) samples.
 */
export function summarize(path: string, top = 15): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfByNode = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const [id, micros] of selfByNode) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const group = groupOf(url, functionName);
    if (group === '(idle)') continue;
    busy += micros;
    groups.set(group, (groups.get(group) ?? 0) + micros);
    const fn = `${functionName || '(anonymous)'} ${group}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + micros);
  }
  const pct = (v: number) => `${((100 * v) / busy).toFixed(1).padStart(5)} %`;
  const rank = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `busy time ${(busy / 1e6).toFixed(1)} s; self time by package/module:`,
    ...rank(groups).map(([g, v]) => `  ${pct(v)}  ${g}`),
    'top functions (self time):',
    ...rank(functions).map(([f, v]) => `  ${pct(v)}  ${f}`),
  ].join('\n');
}

if (require.main === module) {
  if (!process.argv[2]) throw new Error('usage: cpu-profile-summary <file.cpuprofile>');
  console.log(summarize(process.argv[2]));
}

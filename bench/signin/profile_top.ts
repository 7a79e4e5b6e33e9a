/**
 * The top entries of a V8 CPU profile (`.cpuprofile`, from `GUESTPASS_BENCH_CPU_PROF`): self
 * time by function and by package or source folder, in % of the sampled time.
 *
 *   npx tsx bench/signin/profile_top.ts <file.cpuprofile> [--top=25] [--callers=writeUtf8String]
 *
 * Idle time is left out of the total: the percentages are of the time the process was busy.
 * `--callers`: the stacks (ours and packages', 6 frames up) that led to functions of that name.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, callers: { type: 'string' } } });
const file = positionals[0];
if (!file) {
  console.log('usage: npx tsx bench/signin/profile_top.ts <file.cpuprofile> [--top=25]');
  process.exit(1);
}
const top = Number(values.top) || 25;
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const hits = new Map<number, number>();
const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id));
for (const sample of profile.samples) if (!idle.has(sample)) hits.set(sample, (hits.get(sample) ?? 0) + 1);
const total = [...hits.values()].reduce((sum, count) => sum + count, 0);
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

/** Where a frame's code lives: a package under node_modules, a folder of ours, or node's own. */
function placeOf(url: string): string {
  if (!url) return '(native / V8)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url;
  const ours = /\/(src|adapters|interactions|config|bench)\/(.*)$/.exec(url);
  return ours ? `${ours[1]}/${ours[2]!.split('/').slice(0, -1).join('/') || '.'}` : url;
}

const byFunction = new Map<string, number>();
const byPlace = new Map<string, number>();
for (const [id, count] of hits) {
  const node = byId.get(id)!;
  const { functionName, url, lineNumber } = node.callFrame;
  const short = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|adapters|interactions|config)\//, '$1/');
  const name = `${functionName || '(anonymous)'} ${short ? `${short}:${lineNumber + 1}` : ''}`.trim();
  byFunction.set(name, (byFunction.get(name) ?? 0) + count);
  const place = placeOf(url);
  byPlace.set(place, (byPlace.get(place) ?? 0) + count);
}
const show = (title: string, entries: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, count] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((count / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
};
console.log(`${file}: ${total} busy samples of ${profile.samples.length}`);
show('self time by function', byFunction);
show('self time by package or folder', byPlace);

if (values.callers) {
  const stacks = new Map<string, number>();
  for (const [id, count] of hits) {
    if (byId.get(id)!.callFrame.functionName !== values.callers) continue;
    const frames: string[] = [];
    for (let at = parentOf.get(id); at !== undefined && frames.length < 6; at = parentOf.get(at)) {
      const { functionName, url, lineNumber } = byId.get(at)!.callFrame;
      if (!url || url.startsWith('node:')) continue;
      frames.push(`${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|adapters|interactions|config)\//, '$1/')}:${lineNumber + 1}`);
    }
    const key = frames.join(' < ');
    stacks.set(key, (stacks.get(key) ?? 0) + count);
  }
  show(`stacks under ${values.callers}`, stacks);
}

/**
 * Where a CPU profile's time went, by function: self time (samples in the function itself)
 * and inclusive time (samples with the function anywhere on the stack, counted once per
 * sample), largest first.
 *
 *   npx tsx bench/scheduler/profile-top.ts FILE.cpuprofile [--top 30]
 *
 * Functions are named with their file, not their line: code loaded through tsx reports the
 * line of its transformed form.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  name: string;
  ms: number;
}

const REPO = path.resolve(__dirname, '../..');

function label(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  const file = url.replace(/^file:\/\//, '');
  const where = file.startsWith(REPO) ? path.relative(REPO, file) : file;
  return `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
}

export function topFunctions(p: CpuProfile): {
  totalMs: number;
  self: FunctionTime[];
  inclusive: FunctionTime[];
} {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const us = p.timeDeltas[i] ?? 0;
    total += us;
    const leaf = label(byId.get(id)!);
    self.set(leaf, (self.get(leaf) ?? 0) + us);
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const name = label(byId.get(n)!);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + us);
    }
  });
  const sorted = (m: Map<string, number>) =>
    [...m].map(([name, us]) => ({ name, ms: us / 1000 })).sort((a, b) => b.ms - a.ms);
  return { totalMs: total / 1000, self: sorted(self), inclusive: sorted(inclusive) };
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: { top: { type: 'string', default: '30' } },
    allowPositionals: true,
  });
  const file = positionals[0];
  if (!file) throw new Error('usage: profile-top.ts FILE.cpuprofile [--top N]');
  const top = Number(values.top);
  const { totalMs, self, inclusive } = topFunctions(
    JSON.parse(readFileSync(file, 'utf8')) as CpuProfile,
  );
  const row = (f: FunctionTime) =>
    `${(f.ms / 1000).toFixed(2).padStart(7)} s ${((100 * f.ms) / totalMs).toFixed(1).padStart(5)} %  ${f.name}`;
  console.log(`${file}: ${(totalMs / 1000).toFixed(1)} s sampled`);
  console.log('\nself time:');
  for (const f of self.slice(0, top)) console.log(row(f));
  console.log('\ninclusive time (each function once per sample):');
  for (const f of inclusive.filter((f) => f.name !== '(root)').slice(0, top)) console.log(row(f));
}

if (require.main === module) main();

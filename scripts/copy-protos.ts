/**
 * Copies every .proto under apps/, libs/ and test/support/ into a build's output folder at the
 * same relative path: the gRPC code loads them at run time from beside the compiled modules.
 *
 *   tsx scripts/copy-protos.ts <outDir>
 */
import { cpSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const outDir = process.argv[2];
if (!outDir) {
  process.stderr.write('usage: tsx scripts/copy-protos.ts <outDir>\n');
  process.exit(2);
}

let copied = 0;
for (const top of ['apps', 'libs', path.join('test', 'support')]) {
  for (const rel of readdirSync(path.join(root, top), { recursive: true, encoding: 'utf8' })) {
    if (!rel.endsWith('.proto')) continue;
    cpSync(path.join(root, top, rel), path.join(root, outDir, top, rel));
    copied++;
  }
}
process.stdout.write(`copied ${copied} .proto files into ${outDir}\n`);

/**
 * Regenerates the TypeScript types for every .proto in libs/api/src/proto into
 * libs/api/src/generated (committed, so builds and editors need no codegen step).
 *
 *   npm run proto:gen
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROTO_DIR, PROTO_LOADER_OPTIONS } from '../libs/api/src/proto-loader';

const REPO_ROOT = path.resolve(__dirname, '..');
const OUT_DIR = path.join(REPO_ROOT, 'libs/api/src/generated');

function relative(p: string): string {
  return path.relative(REPO_ROOT, p) || '.';
}

/** Translates the runtime loader options into generator flags, so the two cannot drift apart. */
function generatorFlags(options: Record<string, unknown>): string[] {
  const flags: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (key === 'includeDirs') {
      // Relative paths keep the machine's checkout location out of the committed output.
      for (const dir of value as string[]) flags.push(`--includeDirs=${relative(dir)}`);
    } else if (typeof value === 'boolean') {
      if (value) flags.push(`--${key}`);
    } else if (typeof value === 'function') {
      // longs/enums/bytes take a constructor (Number, String...); the CLI takes its name.
      flags.push(`--${key}=${value.name}`);
    } else {
      throw new Error(`proto-gen: no generator flag for loader option ${key}`);
    }
  }
  return flags;
}

function generatorBin(): string {
  const pkgJson = require.resolve('@grpc/proto-loader/package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as { bin: Record<string, string> };
  const bin = pkg.bin['proto-loader-gen-types'];
  if (!bin) throw new Error('@grpc/proto-loader has no proto-loader-gen-types bin');
  return path.resolve(path.dirname(pkgJson), bin);
}

function main(): void {
  // Bare file names: the generator resolves inputs against --includeDirs.
  const protos = fs
    .readdirSync(PROTO_DIR)
    .filter((f) => f.endsWith('.proto'))
    .sort();
  if (protos.length === 0) throw new Error(`proto-gen: no .proto files in ${PROTO_DIR}`);

  // Start from empty so a renamed or deleted message does not leave a stale file behind.
  fs.rmSync(OUT_DIR, { recursive: true, force: true });
  fs.mkdirSync(OUT_DIR, { recursive: true });

  const args = [
    generatorBin(),
    ...generatorFlags(PROTO_LOADER_OPTIONS),
    '--grpcLib=@grpc/grpc-js',
    '--includeComments',
    `--outDir=${relative(OUT_DIR)}`,
    ...protos,
  ];
  execFileSync(process.execPath, args, { stdio: 'inherit', cwd: REPO_ROOT });
  console.log(`proto-gen: ${protos.length} file(s) -> ${relative(OUT_DIR)}`);
}

main();

/**
 * npx tsx test/sim/cluster/cluster.cli.ts --seeds N [--first-seed S] [--agents N]
 *     [--chaos MS] [--broken duplicate-slot] [--verbose] [--log]
 *
 * Runs the cluster chaos simulation for seeds S .. S+N-1. Every failure is printed with the
 * command that replays exactly that run; the exit code is non-zero if any seed failed; the
 * last line is one JSON object with the totals.
 */
import {
  type ClusterBrokenMode,
  type ClusterSimOptions,
  runClusterSimulation,
} from './cluster.sim';

const USAGE =
  'usage: npx tsx test/sim/cluster/cluster.cli.ts --seeds N [--first-seed S] [--agents N] ' +
  '[--chaos MS] [--broken duplicate-slot] [--verbose] [--log]\n';

function usage(problem: string): never {
  process.stderr.write(`sim-cluster: ${problem}\n${USAGE}`);
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  let seeds = 1;
  let first = 1;
  let verbose = false;
  const base: Omit<ClusterSimOptions, 'seed'> = {};
  const int = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isSafeInteger(n) || n < min)
      usage(`${flag} needs an integer >= ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--seeds':
        seeds = int(flag, argv[++i], 1);
        break;
      case '--first-seed':
        first = int(flag, argv[++i], 0);
        break;
      case '--agents':
        base.agents = int(flag, argv[++i], 1);
        break;
      case '--chaos':
        base.chaosMs = int(flag, argv[++i], 0);
        break;
      case '--broken': {
        const mode = argv[++i];
        if (mode !== 'duplicate-slot') usage('--broken must be duplicate-slot');
        base.broken = mode as ClusterBrokenMode;
        break;
      }
      case '--verbose':
        verbose = true;
        break;
      case '--log':
        base.logTo = (line) => process.stderr.write(`${line}\n`);
        break;
      case '--help':
        process.stdout.write(USAGE);
        return;
      default:
        usage(`unknown flag ${flag}`);
    }
  }
  const failed: number[] = [];
  const started = performance.now();
  for (let seed = first; seed < first + seeds; seed++) {
    const r = await runClusterSimulation({ ...base, seed });
    if (verbose || !r.ok) {
      process.stdout.write(
        `seed ${seed}: ${r.ok ? 'ok' : 'FAILED'} ${JSON.stringify(r.stats)} trace ${r.traceHash}\n`,
      );
    }
    if (!r.ok) {
      failed.push(seed);
      process.stdout.write(`  ${r.failure}\n  last events:\n    ${r.lastEvents.join('\n    ')}\n`);
      process.stdout.write(`  replay: ${r.replay}\n`);
    }
  }
  const summary = {
    seeds,
    firstSeed: first,
    failed,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exitCode = failed.length > 0 ? 1 : 0;
}

void main(process.argv.slice(2));

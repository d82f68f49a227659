/**
 * npm run sim -- --seeds N [--first-seed S] [--nodes 3|5] [--duration MS]
 *                [--no-crashes] [--no-partitions] [--no-lossy] [--no-transfers]
 *                [--no-pauses] [--no-drift] [--clients N] [--keys N]
 *                [--broken forget-hard-state|stale-reads] [--checker-steps N] [--verbose]
 *
 * Runs seeds S .. S+N-1. Every failure is printed with the command that replays exactly that
 * run; the exit code is non-zero if any seed failed; the last line of output is one JSON
 * object with the totals, for CI to parse.
 */
import { runSimulation, type SimulationResult } from './sim.runner';
import { DEFAULT_DURATION_MS, type SimulationOptions } from './sim.options';
import { type BrokenMode } from './simulated.node';

interface CliArgs {
  seeds: number;
  firstSeed: number;
  verbose: boolean;
  base: Omit<SimulationOptions, 'seed'>;
}

const USAGE =
  'usage: npm run sim -- --seeds N [--first-seed S] [--nodes 3|5] [--duration MS] ' +
  '[--no-crashes] [--no-partitions] [--no-lossy] [--no-transfers] [--no-pauses] ' +
  '[--no-drift] [--clients N] [--keys N] [--broken forget-hard-state|stale-reads] ' +
  '[--checker-steps N] [--verbose]\n';

function usage(problem: string): never {
  process.stderr.write(`sim: ${problem}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = {
    seeds: 1,
    firstSeed: 1,
    verbose: false,
    base: { nodes: 3, durationMs: DEFAULT_DURATION_MS, faults: {} },
  };
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
        args.seeds = int(flag, argv[++i], 1);
        break;
      case '--first-seed':
        args.firstSeed = int(flag, argv[++i], 0);
        break;
      case '--nodes': {
        const n = int(flag, argv[++i], 3);
        if (n !== 3 && n !== 5) usage('--nodes must be 3 or 5');
        args.base.nodes = n;
        break;
      }
      case '--duration':
        args.base.durationMs = int(flag, argv[++i], 100);
        break;
      case '--clients':
        args.base.clients = { ...args.base.clients, clients: int(flag, argv[++i], 1) };
        break;
      case '--keys':
        args.base.clients = { ...args.base.clients, keys: int(flag, argv[++i], 1) };
        break;
      case '--checker-steps':
        args.base.checkerMaxSteps = int(flag, argv[++i], 1);
        break;
      case '--no-crashes':
        args.base.faults!.crashes = false;
        break;
      case '--no-partitions':
        args.base.faults!.partitions = false;
        break;
      case '--no-lossy':
        args.base.faults!.lossyNetwork = false;
        break;
      case '--no-transfers':
        args.base.faults!.leaderTransfers = false;
        break;
      case '--no-pauses':
        args.base.faults!.pauses = false;
        break;
      case '--no-drift':
        args.base.faults!.clockDrift = false;
        break;
      case '--broken': {
        const mode = argv[++i];
        if (mode !== 'forget-hard-state' && mode !== 'stale-reads') {
          usage('--broken must be forget-hard-state or stale-reads');
        }
        args.base.broken = mode as BrokenMode;
        break;
      }
      case '--verbose':
        args.verbose = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return process.exit(0);
      default:
        usage(`unknown argument ${flag}`);
    }
  }
  return args;
}

function printFailure(r: SimulationResult): void {
  const out: string[] = [`\nFAIL seed ${r.seed} (${r.nodes} nodes)`];
  for (const v of r.violations) {
    out.push(`  [${v.kind}] at ${v.atMs} ms: ${v.message.replace(/\n/g, '\n    ')}`);
    out.push('  last events:');
    for (const e of v.lastEvents) out.push(`    ${e}`);
  }
  out.push(`  replay: ${r.replayCommand}`);
  process.stdout.write(out.join('\n') + '\n\n');
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const failed: { seed: number; kind: string; replay: string }[] = [];
  const totals = {
    events: 0,
    virtualMs: 0,
    ops: 0,
    pendingOps: 0,
    elections: 0,
    crashes: 0,
    partitions: 0,
    snapshotsInstalled: 0,
  };
  const every = Math.max(1, Math.floor(args.seeds / 20));
  for (let i = 0; i < args.seeds; i++) {
    const seed = args.firstSeed + i;
    const r = runSimulation({ ...args.base, seed });
    const s = r.stats;
    totals.events += s.events;
    totals.virtualMs += s.virtualMs;
    totals.ops += s.historyOps;
    totals.pendingOps += s.pendingOps;
    totals.elections += s.leadersElected;
    totals.crashes += s.faults.crashes + s.faults.armedCrashes;
    totals.partitions += s.faults.partitions;
    totals.snapshotsInstalled += s.snapshotsInstalled;
    if (!r.ok) {
      failed.push({ seed, kind: r.violations[0].kind, replay: r.replayCommand });
      printFailure(r);
    }
    if (args.verbose) {
      process.stdout.write(
        `seed ${seed}: ${r.ok ? 'ok' : 'FAIL'} trace ${r.traceHash} ${JSON.stringify(s)}\n`,
      );
    } else if ((i + 1) % every === 0 || i + 1 === args.seeds) {
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      process.stdout.write(`${i + 1}/${args.seeds} seeds, ${failed.length} failed, ${secs} s\n`);
    }
  }
  const summary = {
    seeds: args.seeds,
    firstSeed: args.firstSeed,
    nodes: args.base.nodes,
    durationMs: args.base.durationMs,
    passed: args.seeds - failed.length,
    failed: failed.length,
    failures: failed,
    wallMs: Math.round(performance.now() - started),
    ...totals,
  };
  process.stdout.write(JSON.stringify(summary) + '\n');
  process.exitCode = failed.length > 0 ? 1 : 0;
}

main();

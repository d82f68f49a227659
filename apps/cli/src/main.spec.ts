import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeDaemon, pipedInput, runShoal } from '../test/fake-daemon';
import { CLI_VERSION, type CliContext } from './cli.context';
import { buildProgram } from './program.builder';

const repoRoot = path.resolve(__dirname, '../../..');

function allCommandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((sub) => {
    const p = [...prefix, sub.name()];
    return [p, ...allCommandPaths(sub, p)];
  });
}

const silentContext: CliContext = {
  stdin: pipedInput(),
  stdout: { write: () => true },
  stderr: { write: () => true },
  env: {},
  now: () => new Date(0),
  platform: 'linux/amd64',
  nodeVersion: 'v20.0.0',
};

describe('shoal entry point', () => {
  afterEach(() => vi.restoreAllMocks());

  it('importing main.ts has no side effects', async () => {
    const out = vi.spyOn(process.stdout, 'write');
    const err = vi.spyOn(process.stderr, 'write');
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    const mod = await import('./main');
    expect(typeof mod.main).toBe('function');
    expect(out).not.toHaveBeenCalled();
    expect(err).not.toHaveBeenCalled();
    expect(exit).not.toHaveBeenCalled();
    expect(process.exitCode).toBeUndefined();
  });

  it('builds the whole command tree', () => {
    const paths = allCommandPaths(buildProgram(silentContext)).map((p) => p.join(' '));
    expect(paths).toEqual([
      'swarm',
      'swarm init',
      'swarm join',
      'swarm join-token',
      'swarm leave',
      'swarm unlock',
      'swarm unlock-key',
      'swarm update',
      'node',
      'node ls',
      'node inspect',
      'node update',
      'node promote',
      'node demote',
      'node rm',
      'service',
      'service create',
      'service update',
      'service rollback',
      'service scale',
      'service rm',
      'service promote',
      'service ls',
      'service ps',
      'service inspect',
      'service logs',
      'info',
      'version',
      'events',
    ]);
  });

  it('the client version is the package version', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(CLI_VERSION).toBe(pkg.version);
  });
});

describe('help, version and usage errors', () => {
  it('--help prints usage and exits 0', async () => {
    const result = await runShoal(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: shoal \[options\] \[command\]/);
    expect(result.stdout).toContain('-H, --host <address>');
    for (const group of ['swarm', 'node', 'service', 'info', 'version'])
      expect(result.stdout).toContain(`  ${group}`);
  });

  it('every command has --help', async () => {
    for (const commandPath of allCommandPaths(buildProgram(silentContext))) {
      const result = await runShoal([...commandPath, '--help']);
      expect(result.code, commandPath.join(' ')).toBe(0);
      expect(result.stdout, commandPath.join(' ')).toContain(
        `Usage: shoal ${commandPath.join(' ')}`,
      );
    }
  });

  it('service create --help documents the flags and their syntaxes', async () => {
    const { stdout } = await runShoal(['service', 'create', '--help']);
    expect(stdout).toContain('Usage: shoal service create [options] IMAGE [COMMAND] [ARG...]');
    for (const flag of [
      '--replicas <n>',
      '--update-delay <duration>',
      '-p, --publish <port>',
      '--mount <mount>',
      '-d, --detach',
    ]) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toContain('exit immediately instead of waiting');
  });

  it('-v prints the client version', async () => {
    expect(await runShoal(['-v'])).toEqual({
      code: 0,
      stdout: `shoal version ${CLI_VERSION}\n`,
      stderr: '',
    });
  });

  it.each([
    [['bogus'], "error: unknown command 'bogus'\nSee 'shoal --help'.\n"],
    [
      ['service', 'lss'],
      "error: unknown command 'lss'\n(Did you mean ls?)\nSee 'shoal service --help'.\n",
    ],
    [
      ['service', 'ls', '--bogus'],
      "error: unknown option '--bogus'\nSee 'shoal service ls --help'.\n",
    ],
    [
      ['swarm', 'leave', 'extra'],
      "error: too many arguments for 'leave'. Expected 0 arguments but got 1.\nSee 'shoal swarm leave --help'.\n",
    ],
    // Global flags come before the command, as with docker.
    [
      ['service', 'ls', '-H', '/x.sock'],
      "error: unknown option '-H'\nSee 'shoal service ls --help'.\n",
    ],
  ])('%j is a usage error: exit 125', async (args, stderr) => {
    expect(await runShoal(args)).toEqual({ code: 125, stdout: '', stderr });
  });
});

describe('running the real entry point with tsx', () => {
  const tsx = path.join(repoRoot, 'node_modules/.bin/tsx');
  const main = path.join(repoRoot, 'apps/cli/src/main.ts');
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        tsx,
        [main, ...args],
        { env: { ...process.env, ...env }, cwd: repoRoot },
        (error, stdout, stderr) => {
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
        },
      );
    });

  it('talks to a daemon and sets the exit code', async () => {
    const daemon = await FakeDaemon.start();
    try {
      daemon.on('POST', '/swarm/leave', { status: 200 });
      const ok = await run(['swarm', 'leave'], { SHOAL_HOST: `unix://${daemon.socketPath}` });
      expect(ok).toMatchObject({ code: 0, stdout: 'Node left the swarm.\n' });
      const usage = await run(['service', 'create', '--replicas', 'many', 'nginx']);
      expect(usage.code).toBe(125);
      expect(usage.stderr).toContain("option '--replicas <n>' argument 'many' is invalid");
      daemon.on('POST', '/swarm/leave', {
        status: 503,
        body: { message: 'This node is not part of a swarm' },
      });
      const failed = await run(['-H', daemon.socketPath, 'swarm', 'leave']);
      expect(failed).toMatchObject({
        code: 1,
        stderr: 'Error response from daemon: This node is not part of a swarm\n',
      });
    } finally {
      await daemon.stop();
    }
  });
});

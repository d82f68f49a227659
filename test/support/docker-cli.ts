import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type ShoaldProcess } from './shoald/shoald-process';

/**
 * The stock docker CLIs the e2e tests drive against shoald: Debian's docker.io (20.10, API
 * 1.41) and, where installed, a current one. Tests run once per CLI found; each file also
 * has a test that fails when none is, since describe.each over nothing would pass.
 */
export const CANDIDATE_CLIS = ['/usr/local/bin/docker', '/usr/bin/docker'];
export const CLIS = CANDIDATE_CLIS.filter((p) => existsSync(p));
export const NO_CLI_MESSAGE = `no docker CLI at ${CANDIDATE_CLIS.join(' or ')}: install one (CI installs docker.io)`;

/** Variables that would point the CLI elsewhere or pin its API version. */
const OVERRIDING_ENV = [
  'DOCKER_CONTEXT',
  'DOCKER_API_VERSION',
  'DOCKER_TLS',
  'DOCKER_TLS_VERIFY',
  'DOCKER_CERT_PATH',
];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The CLI's environment for `daemon`: its socket as DOCKER_HOST, a config dir of its own (no
 * contexts or credentials of the machine's user), no hints, nothing that overrides either.
 */
export async function dockerEnvFor(daemon: ShoaldProcess): Promise<NodeJS.ProcessEnv> {
  const configDir = path.join(daemon.dir!, 'docker-config');
  await mkdir(configDir, { recursive: true });
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !OVERRIDING_ENV.includes(name)),
  );
  return {
    ...env,
    DOCKER_HOST: `unix://${daemon.socket}`,
    DOCKER_CONFIG: configDir,
    DOCKER_CLI_HINTS: 'false',
  };
}

/**
 * Runs `file args` with `env`; resolves with its exit code and output, never rejecting on a
 * non-zero exit. A command still running after `timeoutMs` is killed and rejects, saying so,
 * so a hung CLI (e.g. waiting for convergence) fails the test instead of hanging it.
 */
export function runCommand(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const out = { stdout: String(stdout), stderr: String(stderr) };
        if (!error) resolve({ code: 0, ...out });
        else if (typeof error.code === 'number') resolve({ code: error.code, ...out });
        else {
          const why = error.killed
            ? `timed out after ${timeoutMs} ms`
            : `could not run (${String(error.code ?? error.signal)}: ${error.message})`;
          reject(
            new Error(
              `${file} ${args.join(' ')} ${why}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`,
            ),
          );
        }
      },
    );
  });
}

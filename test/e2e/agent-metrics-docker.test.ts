import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describeAgentMetrics } from '../support/agent-metrics.suite';
import { ensureBusyboxImage, ensureDockerd } from '../support/dockerd';

const run = promisify(execFile);

// Tasks as containers of the real Docker Engine: CPU and memory from its stats.
describeAgentMetrics({
  executor: 'docker',
  before: async () => {
    await ensureDockerd();
    await ensureBusyboxImage();
  },
  after: async (nodeId) => {
    // Whatever a failure left behind: every container this node made.
    // The engine itself, never a daemon some other setting points at.
    const env = { ...process.env };
    for (const name of ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_API_VERSION']) delete env[name];
    const docker = (args: string[]) => run('docker', args, { env, timeout: 20_000 });
    const { stdout } = await docker([
      'ps',
      '-aq',
      '--filter',
      `label=com.docker.swarm.node.id=${nodeId}`,
    ]);
    const ids = stdout.split('\n').filter((id) => id.trim() !== '');
    if (ids.length > 0) await docker(['rm', '-f', ...ids]);
  },
});

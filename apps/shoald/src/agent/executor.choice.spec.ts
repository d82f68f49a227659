import { type Logger } from '@shoal/common';
import { DockerExecutor, ProcessExecutor } from '@shoal/exec';
import { describe, expect, it } from 'vitest';
import { type ExecutorChoice } from '../config/daemon.config';
import { chooseExecutor, dockerUnavailableMessage } from './executor.choice';

/** A logger that keeps its info lines, to see what the choice says about itself. */
function recordingLogger() {
  const lines: { msg: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: (msg, fields) => lines.push({ msg, ...(fields ? { fields } : {}) }),
    warn: () => undefined,
    error: () => undefined,
    child: () => logger,
  };
  return { logger, lines };
}

/** Chooses with an engine that does (or does not) answer, and records the sockets asked. */
async function choose(choice: ExecutorChoice, engineAnswers: boolean, socket?: string) {
  const { logger, lines } = recordingLogger();
  const asked: string[] = [];
  const executor = await chooseExecutor(choice, {
    stateDir: '/tmp/shoal-choice-spec',
    nodeId: 'node-1',
    logger,
    ...(socket ? { dockerSocket: socket } : {}),
    dockerAvailable: (p) => {
      asked.push(p);
      return Promise.resolve(engineAnswers);
    },
  });
  return { executor, lines, asked };
}

describe('chooseExecutor', () => {
  it('auto takes docker when the engine answers on /var/run/docker.sock', async () => {
    const { executor, lines, asked } = await choose('auto', true);
    expect(executor).toBeInstanceOf(DockerExecutor);
    expect((executor as DockerExecutor).socketPath).toBe('/var/run/docker.sock');
    expect(asked).toEqual(['/var/run/docker.sock']);
    expect(lines).toContainEqual({
      msg: 'executor chosen',
      fields: { executor: 'docker', asked: 'auto', socket: '/var/run/docker.sock' },
    });
  });

  it('auto falls back to the process executor, and says why', async () => {
    const { executor, lines } = await choose('auto', false);
    expect(executor).toBeInstanceOf(ProcessExecutor);
    expect(lines).toContainEqual({
      msg: 'executor chosen',
      fields: {
        executor: 'process',
        asked: 'auto',
        why: 'no Docker Engine answers on /var/run/docker.sock',
      },
    });
  });

  it('docker takes docker on the given socket', async () => {
    const { executor, asked } = await choose('docker', true, '/run/other.sock');
    expect(executor).toBeInstanceOf(DockerExecutor);
    expect((executor as DockerExecutor).socketPath).toBe('/run/other.sock');
    expect(asked).toEqual(['/run/other.sock']);
  });

  it('docker without an engine fails, naming the socket and the fixes', async () => {
    await expect(choose('docker', false)).rejects.toThrow(
      dockerUnavailableMessage('/var/run/docker.sock'),
    );
    const message = dockerUnavailableMessage('/var/run/docker.sock');
    expect(message).toContain('no Docker Engine answers on /var/run/docker.sock');
    expect(message).toContain('dockerd');
    expect(message).toContain('--executor process');
  });

  it('process never asks the engine', async () => {
    const { executor, asked, lines } = await choose('process', true);
    expect(executor).toBeInstanceOf(ProcessExecutor);
    expect(asked).toEqual([]);
    expect(lines).toContainEqual({
      msg: 'executor chosen',
      fields: { executor: 'process', asked: 'process' },
    });
  });

  it("gives the docker executor the node's ID, which names its containers", async () => {
    const { executor } = await choose('docker', true);
    // A task without a slot (global mode) is named <service>.<node ID>.<task ID>.
    const controller = executor.controller({
      ID: 'task1',
      ServiceID: 'svc1',
      Spec: { ContainerSpec: { Image: 'busybox:local' } },
    });
    expect((controller as unknown as { name: string }).name).toBe('svc1.node-1.task1');
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_DOCKER_SOCKET, dockerSocketFromEnv } from './docker.peer';

describe('dockerSocketFromEnv', () => {
  it('uses the default socket, or the unix socket DOCKER_HOST names', () => {
    expect(dockerSocketFromEnv({})).toBe(DEFAULT_DOCKER_SOCKET);
    expect(dockerSocketFromEnv({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toBe(
      '/run/user/1000/docker.sock',
    );
  });

  it('refuses a TCP DOCKER_HOST (the benchmark compares unix sockets)', () => {
    expect(dockerSocketFromEnv({ DOCKER_HOST: 'tcp://10.0.0.1:2376' })).toEqual({
      unsupported: expect.stringContaining('not a unix socket'),
    });
  });
});

import os from 'node:os';

/** Go's GOARCH names, which Docker reports (and constraints match on: node.platform.arch). */
const GO_ARCH: Record<string, string> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  arm: 'armv7l',
  ia32: 'i386',
};

/** The NodeDescription this host reports, in the Docker API's shape. */
export function describeHost(version: string, executor: string): Record<string, unknown> {
  return {
    Hostname: os.hostname(),
    Platform: { Architecture: GO_ARCH[process.arch] ?? process.arch, OS: 'linux' },
    Resources: {
      NanoCPUs: os.availableParallelism() * 1e9,
      MemoryBytes: os.totalmem(),
    },
    Engine: {
      EngineVersion: version,
      Labels: { 'shoal.executor': executor },
      Plugins: [],
    },
  };
}

import path from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const lib = (name: string) => path.resolve(__dirname, `libs/${name}/src`);

export default defineConfig({
  // SWC instead of esbuild: Nest's dependency injection needs emitDecoratorMetadata.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: {
    alias: [
      { find: /^@shoal\/common(\/.*)?$/, replacement: `${lib('common')}$1` },
      { find: /^@shoal\/api(\/.*)?$/, replacement: `${lib('api')}$1` },
      { find: /^@shoal\/raft(\/.*)?$/, replacement: `${lib('raft')}$1` },
      { find: /^@shoal\/store(\/.*)?$/, replacement: `${lib('store')}$1` },
      { find: /^@shoal\/ca(\/.*)?$/, replacement: `${lib('ca')}$1` },
      { find: /^@shoal\/exec(\/.*)?$/, replacement: `${lib('exec')}$1` },
      { find: /^@shoal\/scheduler(\/.*)?$/, replacement: `${lib('scheduler')}$1` },
      { find: /^@shoal\/dispatcher(\/.*)?$/, replacement: `${lib('dispatcher')}$1` },
      { find: /^@shoal\/orchestrator(\/.*)?$/, replacement: `${lib('orchestrator')}$1` },
      { find: /^@shoal\/metrics(\/.*)?$/, replacement: `${lib('metrics')}$1` },
    ],
  },
  test: {
    include: [
      'apps/**/*.spec.ts',
      'libs/**/*.spec.ts',
      'bench/**/*.spec.ts',
      'test/**/*.spec.ts',
      'test/**/*.test.ts',
    ],
    environment: 'node',
    // Builds dist/ when sources changed: integration tests run the daemon and CLI as shipped.
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', 'junit'],
    outputFile: { junit: '.tmp/junit.xml' },
  },
});

/**
 * Architecture rules checked in CI (`npm run depcheck`). The pure cores must be testable
 * without wall-clock time or I/O, so they may not reach modules that do either.
 */
const impure = [
  '^(node:)?(fs|fs/promises|net|dgram|child_process|http|https|http2|tls|os|timers|timers/promises|worker_threads|cluster)$',
  '^@grpc/',
  '^dockerode$',
  '^pino',
  '^@nestjs/',
  '^prom-client$',
  '^ws$',
];

module.exports = {
  forbidden: [
    {
      name: 'raft-core-is-pure',
      comment: 'libs/raft/src/core is a pure state machine: no I/O, no timers, no framework.',
      severity: 'error',
      from: { path: '^libs/raft/src/core/', pathNot: '\\.spec\\.ts$' },
      to: { path: impure, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'raft-core-self-contained',
      comment:
        'The Raft core depends on nothing outside itself, so the simulator can run it alone.',
      severity: 'error',
      from: { path: '^libs/raft/src/core/', pathNot: '\\.spec\\.ts$' },
      to: { pathNot: '^libs/raft/src/core/' },
    },
    {
      name: 'store-scheduler-orchestrators-are-pure',
      comment:
        'The store, scheduler and orchestrators run deterministically on an injected clock: no I/O, no timers, no framework.',
      severity: 'error',
      from: {
        path: '^libs/(store|scheduler|orchestrator)/src/|^libs/dispatcher/src/core/',
        pathNot: '\\.(spec|module)\\.ts$',
      },
      to: { path: impure, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'libs-do-not-import-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'only-exec-docker-imports-dockerode',
      severity: 'error',
      from: { pathNot: '^libs/exec/src/docker/' },
      to: { path: 'dockerode' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|dist-bench|node_modules|\\.tmp)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};

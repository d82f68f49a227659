import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Modules that do I/O, run timers or otherwise reach outside the process. The pure cores
// (Raft core, store, scheduler, orchestrators) must stay deterministic and testable on a
// virtual clock, so they may not import these. dependency-cruiser checks the same rule on the
// module graph; this lint rule catches it in the editor.
const impureModules = [
  'fs',
  'node:fs',
  'fs/promises',
  'node:fs/promises',
  'net',
  'node:net',
  'dgram',
  'node:dgram',
  'child_process',
  'node:child_process',
  'http',
  'node:http',
  'https',
  'node:https',
  'timers',
  'node:timers',
  'timers/promises',
  'node:timers/promises',
  'worker_threads',
  'node:worker_threads',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  'dockerode',
  'os',
  'node:os',
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-bench/**',
      'node_modules/**',
      'coverage/**',
      'libs/api/src/generated/**',
      '.tmp/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: [
      'libs/raft/src/core/**/*.ts',
      'libs/store/src/**/*.ts',
      'libs/scheduler/src/**/*.ts',
      'libs/orchestrator/src/**/*.ts',
    ],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: impureModules }],
      'no-restricted-globals': [
        'error',
        {
          name: 'setTimeout',
          message: 'Pure cores take time from tick() or an injected Clock; no timers.',
        },
        {
          name: 'setInterval',
          message: 'Pure cores take time from tick() or an injected Clock; no timers.',
        },
        {
          name: 'setImmediate',
          message: 'Pure cores take time from tick() or an injected Clock; no timers.',
        },
        { name: 'queueMicrotask', message: 'Pure cores are synchronous.' },
        {
          name: 'Date',
          message: 'Pure cores have no wall clock; use tick() or the injected Clock.',
        },
        { name: 'performance', message: 'Pure cores have no wall clock.' },
        { name: 'process', message: 'Pure cores have no process access.' },
        { name: 'fetch', message: 'Pure cores do no I/O.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the injected seeded RNG.' },
      ],
    },
  },
);

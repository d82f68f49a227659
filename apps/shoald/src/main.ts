#!/usr/bin/env -S node --initial-old-space-size=256
import 'reflect-metadata';
import { runShoald } from './shoald';

/** shoald, the node daemon. See `shoald --help` and docs/architecture.md. */
if (require.main === module) {
  runShoald(process.argv.slice(2), process.env).then(
    (code) => {
      if (code !== undefined) process.exit(code);
    },
    (err: Error) => {
      process.stderr.write(`shoald: ${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}

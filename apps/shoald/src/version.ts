import { readFileSync } from 'node:fs';
import path from 'node:path';

function findVersion(): string {
  // Run from source (apps/shoald/src) or from the build (dist/apps/shoald/src): walk up to
  // the package.json rather than hard-coding a depth.
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'shoal' && pkg.version) return pkg.version;
    } catch {
      // not here; keep walking
    }
    dir = path.dirname(dir);
  }
  return '0.0.0-unknown';
}

export const SHOAL_VERSION = findVersion();

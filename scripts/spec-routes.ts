/**
 * Regenerates apps/shoald/src/api/not-implemented/spec-routes.generated.ts, the table of every
 * (method, path template) in the Docker Engine API spec. The control API's fallback handler
 * uses it to answer 501 for spec endpoints Shoal does not serve yet, and 404 for the rest.
 *
 *   tsx scripts/spec-routes.ts [spec.yaml] [out.ts]
 *
 * The spec defaults to ../shared/reference/docker-engine-api-v1.44.yaml (beside the repo).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderSpecRoutesModule } from '../apps/shoald/src/api/not-implemented/spec-routes.render';
import { parseSpecRoutes } from '../apps/shoald/src/api/not-implemented/spec-routes.parser';

const root = path.resolve(__dirname, '..');
const specPath = path.resolve(
  process.argv[2] ?? path.join(root, '..', 'shared', 'reference', 'docker-engine-api-v1.44.yaml'),
);
const outPath = path.resolve(
  process.argv[3] ??
    path.join(root, 'apps', 'shoald', 'src', 'api', 'not-implemented', 'spec-routes.generated.ts'),
);

const routes = parseSpecRoutes(readFileSync(specPath, 'utf8'));
writeFileSync(outPath, renderSpecRoutesModule(routes, path.basename(specPath)));
process.stdout.write(`wrote ${routes.length} spec routes to ${path.relative(root, outPath)}\n`);

import { type SpecRoute } from './spec-route.model';
import { SPEC_ROUTES } from './spec-routes.generated';

/**
 * Finds the spec route a request is for. Used twice: by the JSON body middleware (to know
 * whether a body is expected, before routing) and by the fallback handler (to tell a spec
 * endpoint Shoal does not serve yet, 501, from a path Docker would not know either, 404).
 */
export class SpecRouteMatcher {
  private readonly compiled: { route: SpecRoute; re: RegExp; literal: number }[];

  constructor(routes: readonly SpecRoute[] = SPEC_ROUTES) {
    this.compiled = routes
      .map((route) => ({ route, re: compileTemplate(route.path), literal: literalLength(route) }))
      // Literal segments first, so `/images/json` wins over `/images/{name}/json` when both match.
      .sort((a, b) => b.literal - a.literal);
  }

  /**
   * The route for this method and path (no query string, no version prefix), or undefined.
   * HEAD matches a GET route, as HTTP servers (express included) answer HEAD with GET handlers.
   */
  match(method: string, path: string): SpecRoute | undefined {
    const m = method.toUpperCase();
    let headFallback: SpecRoute | undefined;
    for (const { route, re } of this.compiled) {
      if (!re.test(path)) continue;
      if (route.method === m) return route;
      if (m === 'HEAD' && route.method === 'GET') headFallback ??= route;
    }
    return headFallback;
  }

  /** True when some spec route has this path, whatever its method. */
  knowsPath(path: string): boolean {
    return this.compiled.some(({ re }) => re.test(path));
  }
}

/**
 * `{id}` is one path segment. `{name}` may span several: Docker routes image, plugin,
 * distribution and volume names as `{name:.*}` because image names contain slashes
 * (`library/alpine`).
 */
function compileTemplate(template: string): RegExp {
  const parts = template.split(/(\{[^}]+\})/).map((part) => {
    if (part === '{name}') return '(.+)';
    if (/^\{[^}]+\}$/.test(part)) return '([^/]+)';
    return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${parts.join('')}$`);
}

function literalLength(route: SpecRoute): number {
  return route.path.replace(/\{[^}]+\}/g, '').length;
}

/**
 * What the 501 message names as missing, from the path's first segment. Endpoints Shoal will
 * serve later say so; the engine-only ones (containers, images...) say what to use instead or
 * just what they are.
 */
const LATER = '— coming in a later issue';
const CONTAINERS = 'containers (Shoal runs tasks through services)';
const FEATURE_BY_SEGMENT: Readonly<Record<string, string>> = {
  containers: CONTAINERS,
  exec: CONTAINERS,
  commit: 'images',
  images: 'images',
  build: 'images',
  distribution: 'images',
  auth: 'registry login',
  session: 'build sessions',
  volumes: 'volumes',
  plugins: 'plugins',
  system: 'disk usage',
  secrets: `secrets ${LATER}`,
  configs: `configs ${LATER}`,
  networks: `networks ${LATER}`,
};

export function featureOf(route: SpecRoute): string {
  const segment = route.path.split('/')[1] ?? '';
  return FEATURE_BY_SEGMENT[segment] ?? `${segment} ${LATER}`;
}

export function notImplementedMessage(method: string, path: string, route: SpecRoute): string {
  return `${method.toUpperCase()} ${path} is not implemented by Shoal yet: ${featureOf(route)}`;
}

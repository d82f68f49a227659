import { All, Controller, Req } from '@nestjs/common';
import { NotFoundError, NotImplementedError } from '@shoal/api';
import { SkipBodyCheck } from '../http/json-body.guard';
import { SpecRouteMatcher, notImplementedMessage } from './spec-route.matcher';
import { type ApiRequest } from '../http/http.types';

/** Docker's text for a path its router does not know. */
export const PAGE_NOT_FOUND = 'page not found';

/**
 * Registered after every other controller, so it only sees requests none of them served:
 * - a (method, path) of the Docker Engine API that Shoal does not serve yet → 501 naming what
 *   is missing, so the docker CLI prints a reason instead of a bare "page not found";
 * - anything else → 404 `page not found`, as dockerd answers.
 */
@Controller()
@SkipBodyCheck()
export class FallbackController {
  private readonly matcher = new SpecRouteMatcher();

  @All('*')
  fallback(@Req() req: ApiRequest): never {
    const path = req.path;
    const route = this.matcher.match(req.method, path);
    if (route) throw new NotImplementedError(notImplementedMessage(req.method, path, route));
    throw new NotFoundError(PAGE_NOT_FOUND);
  }
}

import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { bodyErrorOf } from './json-body.middleware';
import { type ApiRequest } from './http.types';

const SKIP_BODY_CHECK = 'shoal:skip-body-check';

/** Marks a controller whose answer does not depend on the body (the 501/404 fallback). */
export const SkipBodyCheck = () => SetMetadata(SKIP_BODY_CHECK, true);

/**
 * Raises, once a route matched, the body error json-body.middleware found before routing.
 * Guards run before pipes, so no handler ever sees a body that failed to parse.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const skip = this.reflector.getAllAndOverride<boolean | undefined>(SKIP_BODY_CHECK, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (skip) return true;
    const error = bodyErrorOf(context.switchToHttp().getRequest<ApiRequest>());
    if (error) throw error;
    return true;
  }
}

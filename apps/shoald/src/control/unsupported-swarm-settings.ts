import { NotImplementedError, type SwarmSpec } from '@shoal/api';

/**
 * Swarm settings Shoal accepts in the API's shape but cannot honour yet. Storing them and
 * reporting them back would tell an operator, say, that the root CA was replaced when it was
 * not; so they are refused, naming what is missing. Zero values (what Go clients send for
 * "not set") pass.
 */
export function refuseUnsupportedSwarmSettings(spec: SwarmSpec | undefined): void {
  const ca = spec?.CAConfig;
  if (ca?.ExternalCAs?.length) {
    throw new NotImplementedError(
      'external CAs are not supported (out of scope; see docs/security.md)',
    );
  }
  if (ca?.SigningCACert || ca?.SigningCAKey || ca?.ForceRotate) {
    throw new NotImplementedError(
      'replacing or rotating the root CA (docker swarm ca) is not implemented yet',
    );
  }
}

import { type SecretSpec } from '../swarm/secret.types';
import { base64, checkDataSize, driver, labels, secretOrConfigName } from './common.checks';
import { type Check, object, required } from './field-schema';

/** swarmkit's limit on a secret's decoded size. */
export const MAX_SECRET_BYTES = 500 * 1024;

export interface SpecValidationOptions {
  /**
   * The spec is the body of an update. Docker lets updates change only Labels, and inspect
   * never returns a secret's Data, so Data may be left out (the caller keeps the stored one).
   */
  update?: boolean;
}

function secretSpecCheck(update: boolean): Check<SecretSpec> {
  return object<SecretSpec>(
    {
      Name: required(secretOrConfigName),
      Labels: labels,
      Data: base64,
      Driver: driver,
      Templating: driver,
    },
    // A secret held by an external driver has no data of its own.
    (spec, path) =>
      checkDataSize(spec.Data, path, MAX_SECRET_BYTES, update || spec.Driver !== undefined),
  );
}

const forCreate = secretSpecCheck(false);
const forUpdate = secretSpecCheck(true);

/** Validates the body of POST /secrets/create, or with `update` of /secrets/{id}/update. */
export function validateSecretSpec(
  input: unknown,
  options: SpecValidationOptions = {},
): SecretSpec {
  return (options.update === true ? forUpdate : forCreate)(input, 'SecretSpec');
}

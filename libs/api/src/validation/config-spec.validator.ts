import { type ConfigSpec } from '../swarm/config.types';
import { base64, checkDataSize, driver, labels, secretOrConfigName } from './common.checks';
import { type Check, object, required } from './field-schema';
import { type SpecValidationOptions } from './secret-spec.validator';

/** swarmkit's limit on a config's decoded size. */
export const MAX_CONFIG_BYTES = 1000 * 1024;

function configSpecCheck(update: boolean): Check<ConfigSpec> {
  return object<ConfigSpec>(
    {
      Name: required(secretOrConfigName),
      Labels: labels,
      Data: base64,
      Templating: driver,
    },
    (spec, path) => checkDataSize(spec.Data, path, MAX_CONFIG_BYTES, update),
  );
}

const forCreate = configSpecCheck(false);
const forUpdate = configSpecCheck(true);

/** Validates the body of POST /configs/create, or with `update` of /configs/{id}/update. */
export function validateConfigSpec(
  input: unknown,
  options: SpecValidationOptions = {},
): ConfigSpec {
  return (options.update === true ? forUpdate : forCreate)(input, 'ConfigSpec');
}

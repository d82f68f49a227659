/** Boolean flag values, spelled the ways docker (Go's strconv.ParseBool) accepts them. */
import { UsageError } from '../errors/cli.errors';

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

export function parseBool(value: string): boolean {
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new UsageError(`${JSON.stringify(value)} is not a boolean (true or false)`);
}

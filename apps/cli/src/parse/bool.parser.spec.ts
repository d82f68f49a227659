import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors/cli.errors';
import { parseBool } from './bool.parser';

const GO_TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const GO_FALSE = ['0', 'f', 'F', 'FALSE', 'false', 'False'];

describe('parseBool', () => {
  it.each(GO_TRUE)('%s is true, as in Go', (value) => expect(parseBool(value)).toBe(true));
  it.each(GO_FALSE)('%s is false, as in Go', (value) => expect(parseBool(value)).toBe(false));

  it('refuses every other spelling with a usage error', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !GO_TRUE.includes(s) && !GO_FALSE.includes(s)),
        (value) => {
          expect(() => parseBool(value)).toThrow(UsageError);
        },
      ),
    );
    expect(() => parseBool('yes')).toThrow('"yes" is not a boolean (true or false)');
  });
});

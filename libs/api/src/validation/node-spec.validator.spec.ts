import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/api-error';
import { validateNodeSpec } from './node-spec.validator';

describe('validateNodeSpec', () => {
  it('accepts what `docker node update` sends', () => {
    expect(
      validateNodeSpec({
        Name: '',
        Labels: { zone: 'eu-1' },
        Role: 'worker',
        Availability: 'drain',
      }),
    ).toEqual({ Name: '', Labels: { zone: 'eu-1' }, Role: 'worker', Availability: 'drain' });
  });

  it('accepts enum values in any case, as dockerd does, and answers in lower case', () => {
    expect(validateNodeSpec({ Role: 'Manager', Availability: 'PAUSE', Labels: null })).toEqual({
      Role: 'manager',
      Availability: 'pause',
    });
  });

  it.each<[unknown, string]>([
    [{ Availability: 'active' }, 'invalid NodeSpec.Role: missing, expected one of worker, manager'],
    [
      { Role: '', Availability: 'active' },
      'invalid NodeSpec.Role: missing, expected one of worker, manager',
    ],
    [
      { Role: 'worker' },
      'invalid NodeSpec.Availability: missing, expected one of active, pause, drain',
    ],
    [
      { Role: 'leader', Availability: 'active' },
      'invalid NodeSpec.Role: expected one of worker, manager, got "leader"',
    ],
    [
      { Role: 'worker', Availability: 'paused' },
      'invalid NodeSpec.Availability: expected one of active, pause, drain, got "paused"',
    ],
    [
      { Role: 'worker', Availability: 'active', Labels: ['a'] },
      'invalid NodeSpec.Labels: expected an object of string values, got ["a"]',
    ],
    [
      { Role: 'worker', Availability: 'active', Name: 3 },
      'invalid NodeSpec.Name: expected a string, got 3',
    ],
    [
      { Role: 'worker', Availability: 'active', Hostname: 'x' },
      'unknown field NodeSpec.Hostname (accepted: Name, Labels, Role, Availability)',
    ],
    ['worker', 'invalid NodeSpec: expected an object, got "worker"'],
  ])('rejects %j', (input, message) => {
    expect(() => validateNodeSpec(input)).toThrow(new InvalidArgumentError(message));
  });
});

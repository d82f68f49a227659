import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/api-error';
import { validateConfigSpec } from './config-spec.validator';
import { MAX_SECRET_BYTES, validateSecretSpec } from './secret-spec.validator';

const data = Buffer.from('s3cr3t').toString('base64');

describe('validateSecretSpec', () => {
  it('accepts what `docker secret create` sends', () => {
    const spec = { Name: 'db_password', Labels: { a: 'b' }, Data: data };
    expect(validateSecretSpec(spec)).toEqual(spec);
  });

  it('accepts base64 broken over lines, as Go does', () => {
    expect(() => validateSecretSpec({ Name: 'a', Data: 'c2Vj\ncmV0' })).not.toThrow();
  });

  it('lets a driver-held secret and an update leave Data out', () => {
    expect(() => validateSecretSpec({ Name: 'a', Driver: { Name: 'vault' } })).not.toThrow();
    expect(validateSecretSpec({ Name: 'a', Labels: { x: 'y' } }, { update: true })).toEqual({
      Name: 'a',
      Labels: { x: 'y' },
    });
  });

  it.each<[unknown, string]>([
    [{ Data: data }, 'invalid SecretSpec.Name: missing'],
    [{ Name: '-a', Data: data }, 'invalid SecretSpec.Name: expected a name of up to 64 characters'],
    [{ Name: 'a_', Data: data }, 'invalid SecretSpec.Name'],
    [{ Name: 'a'.repeat(65), Data: data }, 'invalid SecretSpec.Name'],
    [
      { Name: 'a' },
      'invalid SecretSpec.Data: expected between 1 and 512000 bytes once base64-decoded, got 0',
    ],
    [{ Name: 'a', Data: '' }, 'invalid SecretSpec.Data: expected between 1 and 512000 bytes'],
    [
      { Name: 'a', Data: 'not base64!' },
      'invalid SecretSpec.Data: expected standard base64 (padded), got "not base64!"',
    ],
    [{ Name: 'a', Data: 'YWJj ZA==' }, 'invalid SecretSpec.Data: expected standard base64'],
    [{ Name: 'a', Data: 'YWJjZA' }, 'invalid SecretSpec.Data: expected standard base64'],
    [{ Name: 'a', Data: 'YW-_ZA==' }, 'invalid SecretSpec.Data: expected standard base64'],
    [{ Name: 'a', Data: data, Driver: {} }, 'invalid SecretSpec.Driver.Name: missing'],
    [
      { Name: 'a', Data: data, Templating: { Name: 'golang', Options: { a: 1 } } },
      'invalid SecretSpec.Templating.Options.a',
    ],
    [
      { Name: 'a', Data: data, ID: 'x' },
      'unknown field SecretSpec.ID (accepted: Name, Labels, Data, Driver, Templating)',
    ],
  ])('rejects %j', (input, message) => {
    expect(() => validateSecretSpec(input)).toThrow(InvalidArgumentError);
    expect(() => validateSecretSpec(input)).toThrow(message);
  });

  it('refuses data over 500KiB', () => {
    const big = Buffer.alloc(MAX_SECRET_BYTES + 1).toString('base64');
    expect(() => validateSecretSpec({ Name: 'a', Data: big })).toThrow('got 512001');
    const max = Buffer.alloc(MAX_SECRET_BYTES).toString('base64');
    expect(() => validateSecretSpec({ Name: 'a', Data: max })).not.toThrow();
  });
});

describe('validateConfigSpec', () => {
  it('accepts a config with templating', () => {
    const spec = { Name: 'nginx.conf', Data: data, Templating: { Name: 'golang' } };
    expect(validateConfigSpec(spec)).toEqual(spec);
  });

  it('takes up to 1000KiB and has no Driver', () => {
    expect(() =>
      validateConfigSpec({ Name: 'a', Data: Buffer.alloc(600 * 1024).toString('base64') }),
    ).not.toThrow();
    expect(() => validateConfigSpec({ Name: 'a', Data: data, Driver: { Name: 'x' } })).toThrow(
      'unknown field ConfigSpec.Driver (accepted: Name, Labels, Data, Templating)',
    );
  });

  it('wants Data on create but not on update', () => {
    expect(() => validateConfigSpec({ Name: 'a' })).toThrow('invalid ConfigSpec.Data');
    expect(() => validateConfigSpec({ Name: 'a' }, { update: true })).not.toThrow();
    expect(() => validateConfigSpec({ Name: 'a', Data: '%%%' }, { update: true })).toThrow(
      'invalid ConfigSpec.Data: expected standard base64',
    );
  });
});

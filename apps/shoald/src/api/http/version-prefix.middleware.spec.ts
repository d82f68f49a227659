import { describe, expect, it } from 'vitest';
import { compareApiVersions } from './api-version';
import { resolveVersionPrefix } from './version-prefix.middleware';

describe('compareApiVersions', () => {
  it('compares segment by segment as integers, as Docker does', () => {
    expect(compareApiVersions('1.4', '1.24')).toBe(-1);
    expect(compareApiVersions('1.44', '1.44')).toBe(0);
    expect(compareApiVersions('1.24.0', '1.24')).toBe(0);
    expect(compareApiVersions('2', '1.44')).toBe(1);
    expect(compareApiVersions('1..5', '1.0.5')).toBe(0);
  });
});

describe('resolveVersionPrefix', () => {
  it('strips accepted prefixes and keeps the query', () => {
    expect(resolveVersionPrefix('/v1.44/services?x=1')).toEqual({
      url: '/services?x=1',
      version: '1.44',
    });
    expect(resolveVersionPrefix('/v1.24/info')).toEqual({ url: '/info', version: '1.24' });
    expect(resolveVersionPrefix('/v1.30')).toEqual({ url: '/', version: '1.30' });
    expect(resolveVersionPrefix('/v1.30?a=b')).toEqual({ url: '/?a=b', version: '1.30' });
  });

  it('leaves paths without a version prefix alone', () => {
    expect(resolveVersionPrefix('/info')).toEqual({ url: '/info' });
    expect(resolveVersionPrefix('/volumes/x')).toEqual({ url: '/volumes/x' });
    expect(resolveVersionPrefix('/vx.1/info')).toEqual({ url: '/vx.1/info' });
    expect(resolveVersionPrefix('/v1.44abc/info')).toEqual({ url: '/v1.44abc/info' });
  });

  it("refuses versions out of range with Docker's texts", () => {
    expect(resolveVersionPrefix('/v1.12/info')).toEqual({
      error:
        'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version',
    });
    expect(resolveVersionPrefix('/v1.45/info')).toEqual({
      error: 'client version 1.45 is too new. Maximum supported API version is 1.44',
    });
    expect(resolveVersionPrefix('/v2/info')).toHaveProperty('error');
  });
});

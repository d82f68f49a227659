import { describe, expect, it } from 'vitest';
import { envName, parseFilters, parseLabels, parseScaleSpec, resolveEnv } from './key-value.parser';

describe('key=value syntaxes', () => {
  it('labels: k=v, bare k, = inside the value', () => {
    expect(parseLabels(['a=1', 'b', 'c=x=y', 'd='], '--label')).toEqual({
      a: '1',
      b: '',
      c: 'x=y',
      d: '',
    });
    expect(() => parseLabels(['=v'], '--label')).toThrow('invalid --label "=v": empty key');
  });

  it('env: bare names take the local value when set', () => {
    const env = { TOKEN: 's3cret' };
    expect(resolveEnv('A=1', env)).toBe('A=1');
    expect(resolveEnv('TOKEN', env)).toBe('TOKEN=s3cret');
    expect(resolveEnv('UNSET', env)).toBe('UNSET');
    expect(() => resolveEnv('=1', env)).toThrow(/empty name/);
    expect(envName('A=1=2')).toBe('A');
    expect(envName('B')).toBe('B');
  });

  it('filters: repeated keys collect values', () => {
    expect(parseFilters([])).toBeUndefined();
    expect(parseFilters(['name=web', 'name=api', 'Role=manager'])).toEqual({
      name: ['web', 'api'],
      role: ['manager'],
    });
    expect(() => parseFilters(['web'])).toThrow(/expected key=value/);
  });

  it('scale specifiers', () => {
    expect(parseScaleSpec('web=3')).toEqual({ service: 'web', replicas: 3 });
    expect(parseScaleSpec('web=0')).toEqual({ service: 'web', replicas: 0 });
    for (const bad of ['web', 'web=', '=3', 'web=-1', 'web=1.5', 'web=x']) {
      expect(() => parseScaleSpec(bad)).toThrow(/invalid scale specifier .*SERVICE=REPLICAS/);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors/cli.errors';
import { parseMountSpec } from './mount-spec.parser';

describe('parseMountSpec', () => {
  it('reads a read-only bind mount', () => {
    expect(parseMountSpec('type=bind,source=/srv/data,target=/data,readonly')).toEqual({
      Target: '/data',
      Source: '/srv/data',
      Type: 'bind',
      ReadOnly: true,
    });
  });

  it('defaults to a volume and accepts docker aliases', () => {
    expect(parseMountSpec('src=cache,dst=/cache,ro=false,volume-nocopy')).toEqual({
      Target: '/cache',
      Source: 'cache',
      Type: 'volume',
      ReadOnly: false,
      VolumeOptions: { NoCopy: true },
    });
  });

  it('reads tmpfs options', () => {
    expect(parseMountSpec('type=tmpfs,target=/tmp,tmpfs-size=64m,tmpfs-mode=1770')).toEqual({
      Target: '/tmp',
      Type: 'tmpfs',
      TmpfsOptions: { SizeBytes: 67_108_864, Mode: 0o1770 },
    });
  });

  it('reads bind propagation', () => {
    expect(
      parseMountSpec('type=bind,src=/a,target=/b,bind-propagation=rshared').BindOptions,
    ).toEqual({
      Propagation: 'rshared',
    });
  });

  it.each([
    ['source=/a', /target is required/],
    ['type=bind,target=/b', /bind mount needs a source/],
    ['type=tmpfs,source=x,target=/b', /tmpfs mount takes no source/],
    ['type=npipe,target=/b', /unsupported type "npipe"/],
    ['target=/b,color=red', /unknown field "color"/],
    ['target=/b,readonly=maybe', /readonly must be true or false/],
    ['type=bind,src=/a,target=/b,tmpfs-size=1m', /tmpfs options only apply to type=tmpfs/],
    ['type=tmpfs,target=/b,tmpfs-size=lots', /invalid size "lots"/],
    ['type=tmpfs,target=/b,tmpfs-mode=999', /not octal/],
    ['target=', /target needs a value/],
  ])('refuses %j', (input, why) => {
    expect(() => parseMountSpec(input)).toThrow(UsageError);
    expect(() => parseMountSpec(input)).toThrow(why);
  });
});

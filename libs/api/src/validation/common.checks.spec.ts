import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/api-error';
import { base64DecodedLength, envEntry, imageReference, parseCidr } from './common.checks';

describe('imageReference', () => {
  it.each([
    'nginx',
    'nginx:1.27-alpine',
    'library/nginx',
    'docker.io/library/nginx:latest',
    'my-registry.example.com:5000/team/app_name:v1',
    'localhost:5000/a__b/c-d--e.f',
    'UPPER.example/app',
    'nginx@sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac',
    'nginx:1@sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac',
  ])('accepts %s', (image) => {
    expect(imageReference(image, 'Image')).toBe(image);
  });

  it.each([
    '',
    'Nginx',
    'nginx:',
    'nginx:-tag',
    ':latest',
    'nginx@sha256:short',
    'a//b',
    'a/-b',
    'nginx latest',
    `a/${'b'.repeat(260)}`,
    `nginx:${'t'.repeat(129)}`,
  ])('rejects %j', (image) => {
    expect(() => imageReference(image, 'Image')).toThrow(InvalidArgumentError);
  });
});

describe('base64DecodedLength', () => {
  it('counts decoded bytes of padded standard base64', () => {
    expect(base64DecodedLength('')).toBe(0);
    expect(base64DecodedLength('YQ==')).toBe(1);
    expect(base64DecodedLength('YWI=')).toBe(2);
    expect(base64DecodedLength('YWJj')).toBe(3);
    expect(base64DecodedLength('YWJj\r\nZA==')).toBe(4);
  });

  it('refuses unpadded, URL-safe and stray characters', () => {
    for (const text of ['YQ', 'YW-_', 'YQ==YQ==', 'Y===', '####']) {
      expect(base64DecodedLength(text)).toBeUndefined();
    }
  });
});

describe('parseCidr', () => {
  it('parses IPv4 and IPv6 prefixes', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ family: 4, address: '10.0.0.0', prefixLength: 8 });
    expect(parseCidr('fd00::/64')).toEqual({ family: 6, address: 'fd00::', prefixLength: 64 });
  });

  it.each([
    '10.0.0.0',
    '10.0.0.0/',
    '10.0.0.0/33',
    '10.0.0/8',
    '010.0.0.0/8',
    '10.0.0.0/08',
    'fe80::1%eth0/64',
    'x/1',
  ])('rejects %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});

describe('envEntry', () => {
  it('takes KEY=VALUE and KEY, with any value', () => {
    for (const entry of ['A=1', 'A', 'A=', 'A==b', 'PATH=/bin:/usr/bin', 'MULTI=a\nb']) {
      expect(envEntry(entry, 'Env[0]')).toBe(entry);
    }
    for (const entry of ['', '=x', 1])
      expect(() => envEntry(entry, 'Env[0]')).toThrow(InvalidArgumentError);
  });
});

import { describe, expect, it } from 'vitest';
import { formatHostPort, parseHostPort } from './host-port';

describe('parseHostPort', () => {
  it('reads IPv4, bracketed IPv6 and host names', () => {
    expect(parseHostPort('0.0.0.0:7377')).toEqual({ host: '0.0.0.0', port: 7377 });
    expect(parseHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseHostPort('node-1.example:1')).toEqual({ host: 'node-1.example', port: 1 });
    expect(parseHostPort('10.0.0.1', { defaultPort: 7377 })).toEqual({
      host: '10.0.0.1',
      port: 7377,
    });
  });

  it('explains what is wrong', () => {
    expect(parseHostPort('10.0.0.1')).toMatch(/has no port/);
    expect(parseHostPort('::1:80')).toMatch(/put IPv6 addresses in brackets/);
    expect(parseHostPort('a b:80')).toMatch(/neither an IP address nor a host name/);
    expect(parseHostPort('h:0')).toMatch(/out of range 1-65535/);
    expect(parseHostPort('h:0', { allowPortZero: true })).toEqual({ host: 'h', port: 0 });
    expect(parseHostPort('h:x')).toMatch(/invalid port "x"/);
  });

  it('formats back', () => {
    expect(formatHostPort({ host: '::1', port: 80 })).toBe('[::1]:80');
    expect(formatHostPort({ host: '127.0.0.1', port: 80 })).toBe('127.0.0.1:80');
  });
});

import { describe, expect, it, vi } from 'vitest';
import { main } from './main';

describe('shoald before the manager core exists', () => {
  it('refuses to start with a not-implemented error and exit code 2', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(main()).toBe(2);
    expect(String(write.mock.calls[0]?.[0])).toMatch(/not implemented yet/);
    write.mockRestore();
  });
});

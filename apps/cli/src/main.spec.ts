import { describe, expect, it, vi } from 'vitest';
import { main } from './main';

describe('shoal CLI before the control API exists', () => {
  it('refuses every command with a not-implemented error and exit code 2', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(main(['swarm', 'init'])).toBe(2);
    expect(String(write.mock.calls[0]?.[0])).toMatch(/"swarm init" is not implemented yet/);
    write.mockRestore();
  });
});

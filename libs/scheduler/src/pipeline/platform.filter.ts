import { normalizeArch } from '../state/task.demand';
import { type Filter, nodes } from './filter.types';

/**
 * Placement.Platforms (from the image's manifest): the node's Description.Platform must
 * match one of them; none listed means any. An empty OS or architecture in an entry matches
 * any. Compared exactly, as swarmkit does, after its aliases (x86_64 = amd64,
 * aarch64 = arm64).
 */
export const platformFilter: Filter = {
  name: 'PlatformFilter',
  dynamic: false,
  enabled: (d) => d.platforms.length > 0,
  check: (node, d) => {
    const platform = node.node.Description?.Platform;
    if (!platform) return false;
    const os = platform.OS ?? '';
    const arch = normalizeArch(platform.Architecture);
    return d.platforms.some(
      (p) => (p.OS === '' || p.OS === os) && (p.Architecture === '' || p.Architecture === arch),
    );
  },
  explain: (count) => `unsupported platform on ${nodes(count)}`,
};

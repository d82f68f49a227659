import { parseConstraint } from '@shoal/api/validation/constraint.parser';
import { describe, expect, it } from 'vitest';
import { node, service } from './testing/orchestrator.fixtures';
import {
  acceptsNewTasks,
  isDrained,
  isLostNode,
  matchesConstraints,
  matchesPlatforms,
  nodeFitOf,
} from './node.eligibility';

const n = {
  ...node('n1', { labels: { zone: 'eu-1', Disk: 'SSD' }, hostname: 'web-01', arch: 'aarch64' }),
  Description: {
    Hostname: 'web-01',
    Platform: { OS: 'linux', Architecture: 'aarch64' },
    Engine: { Labels: { gpu: 'yes' } },
  },
};
const matches = (...exprs: string[]) =>
  matchesConstraints(
    exprs.map((e) => parseConstraint(e)),
    n,
  );

describe('matchesConstraints', () => {
  it('reads every key the parser accepts', () => {
    expect(matches('node.id==n1', 'node.hostname==web-01', 'node.role==worker')).toBe(true);
    expect(matches('node.platform.os==linux', 'node.platform.arch==aarch64')).toBe(true);
    expect(matches('node.labels.zone==eu-1', 'engine.labels.gpu==yes')).toBe(true);
    expect(matches('node.role==manager')).toBe(false);
    expect(matches('node.labels.zone==us-1')).toBe(false);
  });

  it('compares values case-insensitively but label names exactly', () => {
    expect(matches('node.labels.zone==EU-1', 'node.hostname==WEB-01')).toBe(true);
    expect(matches('node.labels.Disk==ssd')).toBe(true);
    expect(matches('node.labels.disk==ssd')).toBe(false);
  });

  it('treats a missing label as unequal to anything', () => {
    expect(matches('node.labels.rack==r1')).toBe(false);
    expect(matches('node.labels.rack!=r1')).toBe(true);
    expect(matches('node.labels.zone!=eu-1')).toBe(false);
  });

  it('tells managers from workers by ManagerStatus when the spec has no role', () => {
    const bare = { ...n, Spec: {}, ManagerStatus: { Leader: true } };
    expect(matchesConstraints([parseConstraint('node.role==manager')], bare)).toBe(true);
  });
});

describe('matchesPlatforms', () => {
  it('matches any listed platform, with architecture aliases and empty fields as wildcards', () => {
    expect(matchesPlatforms([], n)).toBe(true);
    expect(matchesPlatforms([{ OS: 'linux', Architecture: 'arm64' }], n)).toBe(true);
    expect(matchesPlatforms([{ OS: 'Linux' }], n)).toBe(true);
    expect(matchesPlatforms([{ Architecture: 'amd64' }], n)).toBe(false);
    expect(matchesPlatforms([{ OS: 'windows' }, { Architecture: 'arm64' }], n)).toBe(true);
    expect(matchesPlatforms([{ OS: 'windows' }], n)).toBe(false);
  });

  it('lets a node that has not described its platform through', () => {
    expect(matchesPlatforms([{ OS: 'windows' }], { ...n, Description: {} })).toBe(true);
  });
});

describe('nodeFitOf', () => {
  it('combines constraints and platforms', () => {
    const fit = nodeFitOf(
      service(
        { Global: {} },
        {
          Placement: { Constraints: ['node.labels.zone==eu-1'], Platforms: [{ OS: 'linux' }] },
        },
      ).Spec,
    );
    expect(fit(n)).toBe(true);
    expect(fit(node('n2', { labels: { zone: 'us-1' } }))).toBe(false);
    expect(fit(node('n3', { labels: { zone: 'eu-1' }, os: 'windows' }))).toBe(false);
  });

  it('fits no node when a stored constraint does not parse', () => {
    const fit = nodeFitOf(service({ Global: {} }, { Placement: { Constraints: ['zone'] } }).Spec);
    expect(fit(n)).toBe(false);
  });
});

describe('node availability', () => {
  it('takes new tasks only when ready and active', () => {
    expect(acceptsNewTasks(node('a'))).toBe(true);
    expect(acceptsNewTasks(node('a', { availability: 'pause' }))).toBe(false);
    expect(acceptsNewTasks(node('a', { availability: 'drain' }))).toBe(false);
    expect(acceptsNewTasks(node('a', { state: 'down' }))).toBe(false);
    expect(acceptsNewTasks(node('a', { state: 'unknown' }))).toBe(false);
    expect(acceptsNewTasks({ ...node('a'), Spec: {} })).toBe(true);
  });

  it('knows drained and lost nodes', () => {
    expect(isDrained(node('a', { availability: 'drain' }))).toBe(true);
    expect(isDrained(node('a', { availability: 'pause' }))).toBe(false);
    expect(isLostNode(undefined)).toBe(true);
    expect(isLostNode(node('a', { state: 'down' }))).toBe(true);
    expect(isLostNode(node('a', { state: 'disconnected' }))).toBe(false);
  });
});

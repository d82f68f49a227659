import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon, runShoal } from '../../test/fake-daemon';
import {
  AGENT_ID,
  MIGRATE_ID,
  WEB_ID,
  agentService,
  migrateService,
  nodes,
  tasks,
  webService,
} from '../../test/swarm.fixtures';

describe('shoal service (queries)', () => {
  let daemon: FakeDaemon;
  beforeEach(async () => {
    daemon = await FakeDaemon.start();
    daemon.on('GET', '/services', { body: [webService, agentService, migrateService] });
    daemon.on('GET', '/nodes', { body: nodes });
    // Honour the service filter the way the daemon would, so the test checks its shape.
    daemon.on('GET', '/tasks', (req) => {
      const filters = req.query.filters
        ? (JSON.parse(req.query.filters) as Record<string, string[]>)
        : {};
      const wanted = filters.service;
      return { body: wanted ? tasks.filter((t) => wanted.includes(t.ServiceID ?? '')) : tasks };
    });
    for (const svc of [webService, agentService, migrateService]) {
      daemon.on('GET', `/services/${svc.Spec?.Name}`, { body: svc });
    }
    daemon.on('GET', '/services/nope', {
      status: 404,
      body: { message: 'service nope not found' },
    });
  });
  afterEach(() => daemon.stop());
  const shoal = (...args: string[]) => runShoal(args, { host: daemon.socketPath });

  describe('ls', () => {
    it('lists services by name with running/desired counts from one task listing', async () => {
      const result = await shoal('service', 'ls');
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(
        [
          'ID             NAME      MODE             REPLICAS              IMAGE                PORTS',
          'ak7w3gjqoa3k   agent     global           1/2                   prom/node-exporter',
          'zy1tqe4ebl0e   migrate   replicated job   1/2 (1/5 completed)   app:2',
          '9mnpnzenvg8p   web       replicated       2/3                   nginx:1.25           *:8080-8081->80-81/tcp',
          '',
        ].join('\n'),
      );
      expect(daemon.requestLines()).toEqual(['GET /v1.44/services', 'GET /v1.44/tasks']);
    });

    it('-q prints full IDs and skips the task listing', async () => {
      const result = await shoal('service', 'ls', '-q');
      expect(result.stdout).toBe(`${AGENT_ID}\n${MIGRATE_ID}\n${WEB_ID}\n`);
      expect(daemon.requestLines()).toEqual(['GET /v1.44/services']);
    });

    it('--format json prints the rows', async () => {
      const result = await shoal('service', 'ls', '--format', 'json');
      expect(JSON.parse(result.stdout)).toContainEqual({
        ID: WEB_ID,
        Name: 'web',
        Mode: 'replicated',
        Replicas: '2/3',
        Image: 'nginx:1.25',
        Ports: '*:8080-8081->80-81/tcp',
      });
    });

    it('-f becomes the filters query', async () => {
      await shoal('service', 'ls', '-q', '-f', 'name=web', '-f', 'mode=global');
      expect(daemon.requests[0]?.query).toEqual({ filters: '{"name":["web"],"mode":["global"]}' });
    });

    it('an empty cluster prints the header only, without listing tasks', async () => {
      daemon.on('GET', '/services', { body: [] });
      const result = await shoal('service', 'ls');
      expect(result.stdout).toBe('ID        NAME      MODE      REPLICAS   IMAGE     PORTS\n');
      expect(daemon.requestLines()).toEqual(['GET /v1.44/services']);
    });
  });

  describe('ps', () => {
    it('lists tasks by slot, history indented, with node names and ages', async () => {
      const result = await shoal('service', 'ps', 'web');
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(
        [
          'ID             NAME        IMAGE        NODE      DESIRED STATE   CURRENT STATE                ERROR',
          't1aaaaaaaaaa   web.1       nginx:1.25   node1     Running         Running 5 minutes ago',
          't1oldaaaaaaa    \\_ web.1   nginx:1.24   node1     Shutdown        Shutdown 3 hours ago',
          't2aaaaaaaaaa   web.2       nginx:1.25   node10    Running         Running 30 seconds ago',
          't3aaaaaaaaaa   web.3       nginx:1.25   node2     Running         Rejected About an hour ago   "no suitable node (scheduling \u2026"',
          't4aaaaaaaaaa    \\_ web.3   nginx:1.25   node10    Shutdown        Running 2 hours ago',
          '',
        ].join('\n'),
      );
      expect(daemon.requestLines()).toEqual([
        'GET /v1.44/services/web',
        `GET /v1.44/tasks?filters=${encodeURIComponent(JSON.stringify({ service: [WEB_ID] })).replace(/%20/g, '+')}`,
        'GET /v1.44/nodes',
      ]);
    });

    it('names global tasks after their node', async () => {
      const result = await shoal('service', 'ps', '--format', 'json', 'agent');
      const rows = JSON.parse(result.stdout) as { Name: string; Node: string }[];
      expect(rows.map((r) => [r.Name, r.Node])).toEqual([
        [`agent.${nodes[2]?.ID}`, 'node1'],
        [`agent.${nodes[0]?.ID}`, 'node10'],
      ]);
    });

    it('-q prints task IDs only; --no-trunc keeps IDs and errors whole', async () => {
      const quiet = await shoal('service', 'ps', '-q', 'web');
      expect(quiet.stdout.split('\n')).toHaveLength(6);
      expect(daemon.requestLines()).not.toContain('GET /v1.44/nodes');
      const full = await shoal('service', 'ps', '--no-trunc', 'web');
      expect(full.stdout).toContain('t1aaaaaaaaaaaaaaaaaaaaaaa   ');
      expect(full.stdout).toContain(
        '"no suitable node (scheduling constraints not satisfied on 3 nodes)"',
      );
      expect(full.stdout).toContain('nginx:1.25@sha256:0f1a');
    });

    it('merges -f filters with the service filter', async () => {
      await shoal('service', 'ps', '-q', '-f', 'desired-state=running', 'web', 'agent');
      const filters = JSON.parse(daemon.requests[2]?.query.filters ?? '{}') as unknown;
      expect(filters).toEqual({ 'desired-state': ['running'], service: [WEB_ID, AGENT_ID] });
    });

    it('an unknown service is an error', async () => {
      expect(await shoal('service', 'ps', 'nope')).toEqual({
        code: 1,
        stdout: '',
        stderr: 'Error response from daemon: service nope not found\n',
      });
    });
  });

  describe('inspect', () => {
    it('prints the services as a JSON array', async () => {
      const result = await shoal('service', 'inspect', 'web', 'agent');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual([webService, agentService]);
    });

    it('reports a missing service after printing the found ones', async () => {
      const result = await shoal('service', 'inspect', 'nope');
      expect(result).toEqual({
        code: 1,
        stdout: '[]\n',
        stderr: 'Error response from daemon: service nope not found\n',
      });
    });

    it('--pretty prints a human summary', async () => {
      const result = await shoal('service', 'inspect', '--pretty', 'web');
      expect(result.stdout).toBe(
        [
          `ID:             ${WEB_ID}`,
          'Name:           web',
          'Labels:',
          ' tier=front',
          'Service Mode:   Replicated',
          ' Replicas:      3',
          'ContainerSpec:',
          ' Image:         nginx:1.25@sha256:0f1a',
          ' Env:',
          '  A=1',
          'Ports:',
          ' PublishedPort: 8080',
          '  Protocol:     tcp',
          '  TargetPort:   80',
          '  PublishMode:  ingress',
          ' PublishedPort: 8081',
          '  Protocol:     tcp',
          '  TargetPort:   81',
          '  PublishMode:  ingress',
          '',
        ].join('\n'),
      );
    });
  });
});

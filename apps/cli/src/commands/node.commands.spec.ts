import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon, runShoal } from '../../test/fake-daemon';
import { MANAGER2_ID, SELF_ID, WORKER_ID, info, nodes } from '../../test/swarm.fixtures';

describe('shoal node', () => {
  let daemon: FakeDaemon;
  beforeEach(async () => {
    daemon = await FakeDaemon.start();
    daemon.on('GET', '/nodes', { body: nodes });
    daemon.on('GET', '/info', { body: info });
    for (const node of nodes) daemon.on('GET', `/nodes/${node.ID}`, { body: node });
    daemon.on('GET', '/nodes/nope', { status: 404, body: { message: 'node nope not found' } });
  });
  afterEach(() => daemon.stop());
  const shoal = (...args: string[]) => runShoal(args, { host: daemon.socketPath });

  describe('ls', () => {
    it('prints docker-aligned rows sorted by hostname, marking this node with *', async () => {
      const result = await shoal('node', 'ls');
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(
        [
          'ID                            HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION',
          `${SELF_ID} *   node1      Ready     Active         Leader           0.1.0`,
          `${MANAGER2_ID}     node2      Down      Active         Unreachable      24.0.7`,
          `${WORKER_ID}     node10     Ready     Drain                           24.0.7`,
          '',
        ].join('\n'),
      );
      expect(daemon.requestLines()).toEqual(['GET /v1.44/nodes', 'GET /v1.44/info']);
    });

    it('-q prints IDs only, without asking who "self" is', async () => {
      const result = await shoal('node', 'ls', '-q');
      expect(result.stdout).toBe(`${SELF_ID}\n${MANAGER2_ID}\n${WORKER_ID}\n`);
      expect(daemon.requestLines()).toEqual(['GET /v1.44/nodes']);
    });

    it('--format json prints the rows as pretty JSON', async () => {
      const result = await shoal('node', 'ls', '--format', 'json');
      const rows = JSON.parse(result.stdout) as unknown[];
      expect(rows[0]).toEqual({
        ID: SELF_ID,
        Self: true,
        Hostname: 'node1',
        Status: 'Ready',
        Availability: 'Active',
        ManagerStatus: 'Leader',
        EngineVersion: '0.1.0',
      });
      expect(result.stdout).toContain('\n    {\n        "ID"');
    });

    it('-f becomes the filters query', async () => {
      await shoal('node', 'ls', '-q', '-f', 'role=manager', '--filter', 'name=node1');
      expect(daemon.requests[0]?.query).toEqual({
        filters: '{"role":["manager"],"name":["node1"]}',
      });
    });

    it('refuses an unknown --format with exit 125', async () => {
      const result = await shoal('node', 'ls', '--format', '{{.ID}}');
      expect(result.code).toBe(125);
      expect(result.stderr).toContain('Allowed choices are table, json');
    });
  });

  describe('inspect', () => {
    it('prints a JSON array, resolving "self" through /info', async () => {
      const result = await shoal('node', 'inspect', 'self', WORKER_ID);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual([nodes[2], nodes[0]]);
      expect(result.stdout.startsWith('[\n    {')).toBe(true);
      expect(daemon.requestLines()).toEqual([
        'GET /v1.44/info',
        `GET /v1.44/nodes/${SELF_ID}`,
        `GET /v1.44/nodes/${WORKER_ID}`,
      ]);
    });

    it('prints what it found, reports what it did not, and exits 1', async () => {
      const result = await shoal('node', 'inspect', 'nope', WORKER_ID);
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toEqual([nodes[0]]);
      expect(result.stderr).toBe('Error response from daemon: node nope not found\n');
    });

    it('--pretty prints a human summary', async () => {
      const result = await shoal('node', 'inspect', '--pretty', SELF_ID);
      expect(result.stdout).toBe(
        [
          `ID:                ${SELF_ID}`,
          'Labels:',
          ' - zone=a',
          'Hostname:          node1',
          'Joined at:         2024-04-01T10:00:00.000000001Z',
          'Status:',
          ' State:            Ready',
          ' Availability:     Active',
          ' Address:          10.0.0.1',
          'Manager Status:',
          ' Address:          10.0.0.1:2377',
          ' Raft Status:      Reachable',
          ' Leader:           Yes',
          'Platform:',
          ' Operating System: linux',
          ' Architecture:     x86_64',
          'Resources:',
          ' CPUs:             4',
          ' Memory:           7.775GiB',
          'Engine Version:    0.1.0',
          '',
        ].join('\n'),
      );
    });
  });

  describe('update', () => {
    it('reads the node, then posts its modified spec at its version', async () => {
      daemon.on('POST', `/nodes/${WORKER_ID}/update`, { status: 200 });
      const result = await shoal(
        'node',
        'update',
        '--availability',
        'active',
        '--role',
        'manager',
        '--label-add',
        'ssd=true',
        '--label-add',
        'rack',
        '--label-rm',
        'zone',
        WORKER_ID,
      );
      expect(result).toEqual({ code: 0, stdout: `${WORKER_ID}\n`, stderr: '' });
      expect(daemon.requestLines()).toEqual([
        `GET /v1.44/nodes/${WORKER_ID}`,
        `POST /v1.44/nodes/${WORKER_ID}/update?version=20`,
      ]);
      expect(daemon.requests[1]?.body).toEqual({
        Role: 'manager',
        Availability: 'active',
        Labels: { ssd: 'true', rack: '' },
      });
    });

    it('removing a label the node lacks fails without updating', async () => {
      const result = await shoal('node', 'update', '--label-rm', 'gpu', WORKER_ID);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe("key gpu doesn't exist in node's labels\n");
      expect(daemon.requestLines()).toEqual([`GET /v1.44/nodes/${WORKER_ID}`]);
    });

    it('refuses an unknown availability with exit 125', async () => {
      const result = await shoal('node', 'update', '--availability', 'sleeping', WORKER_ID);
      expect(result.code).toBe(125);
      expect(result.stderr).toContain(
        "option '--availability <availability>' argument 'sleeping' is invalid",
      );
      expect(daemon.requests).toEqual([]);
    });

    it('reports a version conflict from the daemon', async () => {
      daemon.on('POST', `/nodes/${WORKER_ID}/update`, {
        status: 500,
        body: { message: 'update out of sequence' },
      });
      const result = await shoal('node', 'update', '--availability', 'pause', WORKER_ID);
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: 'Error response from daemon: update out of sequence\n',
      });
    });
  });

  describe('promote and demote', () => {
    const worker = nodes[0]!;

    it('promote reads each node and posts its spec with the manager role', async () => {
      daemon.on('POST', `/nodes/${WORKER_ID}/update`, { status: 200 });
      const result = await shoal('node', 'promote', WORKER_ID);
      expect(result).toEqual({
        code: 0,
        stdout: `Node ${WORKER_ID} promoted to a manager in the swarm.\n`,
        stderr: '',
      });
      expect(daemon.requestLines()).toEqual([
        `GET /v1.44/nodes/${WORKER_ID}`,
        `POST /v1.44/nodes/${WORKER_ID}/update?version=20`,
      ]);
      expect(daemon.requests[1]?.body).toEqual({ ...worker.Spec, Role: 'manager' });
    });

    it('names the node as typed when done, by ID when it already has the role', async () => {
      daemon.on('GET', '/nodes/node10', { body: worker });
      daemon.on('POST', `/nodes/${WORKER_ID}/update`, { status: 200 });
      const result = await shoal('node', 'promote', 'self', 'node10');
      expect(result).toEqual({
        code: 0,
        stdout:
          `Node ${SELF_ID} is already a manager.\n` +
          'Node node10 promoted to a manager in the swarm.\n',
        stderr: '',
      });
      expect(daemon.requestLines()).toEqual([
        'GET /v1.44/info',
        `GET /v1.44/nodes/${SELF_ID}`,
        'GET /v1.44/nodes/node10',
        `POST /v1.44/nodes/${WORKER_ID}/update?version=20`,
      ]);
    });

    it('demote sets the worker role and skips nodes that are workers already', async () => {
      daemon.on('POST', `/nodes/${MANAGER2_ID}/update`, { status: 200 });
      const result = await shoal('node', 'demote', WORKER_ID, MANAGER2_ID);
      expect(result).toEqual({
        code: 0,
        stdout:
          `Node ${WORKER_ID} is already a worker.\n` +
          `Manager ${MANAGER2_ID} demoted in the swarm.\n`,
        stderr: '',
      });
      expect(daemon.requestLines()).toEqual([
        `GET /v1.44/nodes/${WORKER_ID}`,
        `GET /v1.44/nodes/${MANAGER2_ID}`,
        `POST /v1.44/nodes/${MANAGER2_ID}/update?version=18`,
      ]);
      expect(daemon.requests[2]?.body).toEqual({ Role: 'worker', Availability: 'active' });
    });

    it('stops at the first failure, as docker does', async () => {
      daemon.on('POST', `/nodes/${MANAGER2_ID}/update`, {
        status: 400,
        body: { message: 'demoting node would leave the swarm without a quorum' },
      });
      const result = await shoal('node', 'demote', MANAGER2_ID, SELF_ID);
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'Error response from daemon: demoting node would leave the swarm without a quorum\n',
      });
      expect(daemon.requestLines()).toEqual([
        `GET /v1.44/nodes/${MANAGER2_ID}`,
        `POST /v1.44/nodes/${MANAGER2_ID}/update?version=18`,
      ]);
    });

    it('reports an unknown node', async () => {
      expect(await shoal('node', 'promote', 'nope')).toEqual({
        code: 1,
        stdout: '',
        stderr: 'Error response from daemon: node nope not found\n',
      });
    });

    it.each(['promote', 'demote'])('%s needs at least one node', async (command) => {
      const result = await shoal('node', command);
      expect(result.code).toBe(125);
      expect(result.stderr).toContain("missing required argument 'node'");
      expect(daemon.requests).toEqual([]);
    });
  });

  describe('rm', () => {
    it('removes each node, continues past failures, and exits 1 if any failed', async () => {
      daemon.on('DELETE', `/nodes/${WORKER_ID}`, { status: 200 });
      daemon.on('DELETE', '/nodes/nope', { status: 404, body: { message: 'node nope not found' } });
      daemon.on('DELETE', `/nodes/${MANAGER2_ID}`, { status: 200 });
      const result = await shoal('node', 'rm', '--force', WORKER_ID, 'nope', MANAGER2_ID);
      expect(result).toEqual({
        code: 1,
        stdout: `${WORKER_ID}\n${MANAGER2_ID}\n`,
        stderr: 'Error response from daemon: node nope not found\n',
      });
      expect(daemon.requestLines()).toEqual([
        `DELETE /v1.44/nodes/${WORKER_ID}?force=true`,
        'DELETE /v1.44/nodes/nope?force=true',
        `DELETE /v1.44/nodes/${MANAGER2_ID}?force=true`,
      ]);
    });

    it('needs at least one node', async () => {
      const result = await shoal('node', 'rm');
      expect(result.code).toBe(125);
      expect(result.stderr).toContain("missing required argument 'node'");
    });
  });
});

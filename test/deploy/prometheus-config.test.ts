import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createRootCa, issueNodeCertificate } from '@shoal/ca';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROMTOOL_BIN, requirePrometheus } from '../support/prometheus/prometheus-bin';
import { REPO_ROOT } from '../support/shoald/shoald-process';

const run = promisify(execFile);
const DEPLOY = path.join(REPO_ROOT, 'deploy/prometheus');
let dir: string;

beforeAll(async () => {
  requirePrometheus(PROMTOOL_BIN);
  dir = await mkdtemp(path.join(tmpdir(), 'shoal-prom-config-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('deploy/prometheus/prometheus.yml', () => {
  it('passes promtool check config, rule files and TLS files included', async () => {
    // The file as shipped, beside the alerts it loads and with the TLS files it names
    // (relative to its directory) present, as an operator would install it.
    await copyFile(path.join(DEPLOY, 'prometheus.yml'), path.join(dir, 'prometheus.yml'));
    await copyFile(path.join(DEPLOY, 'alerts.yml'), path.join(dir, 'alerts.yml'));
    await mkdir(path.join(dir, 'tls'));
    const ca = await createRootCa({ commonName: 'promtool test CA', validYears: 1 });
    const client = await issueNodeCertificate(ca, { nodeId: 'prometheus', role: 'scraper' });
    await writeFile(path.join(dir, 'tls/ca.pem'), ca.certPem);
    await writeFile(path.join(dir, 'tls/prometheus.pem'), client.certPem);
    await writeFile(path.join(dir, 'tls/prometheus-key.pem'), client.keyPem);

    const { stdout } = await run(PROMTOOL_BIN, ['check', 'config', 'prometheus.yml'], {
      cwd: dir,
    }).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`promtool check config failed:\n${err.stdout}\n${err.stderr}`);
    });
    expect(stdout).toMatch(/SUCCESS: prometheus\.yml is valid prometheus config file syntax/);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('uses both discovery methods: the three Docker Swarm roles and /metrics/targets', async () => {
    const text = await readFile(path.join(DEPLOY, 'prometheus.yml'), 'utf8');
    for (const role of ['nodes', 'tasks', 'services']) {
      expect(text).toMatch(
        new RegExp(`dockerswarm_sd_configs:\\s*\\n\\s*- host: .*\\n\\s*role: ${role}\\b`),
      );
    }
    expect(text).toMatch(/http_sd_configs:\s*\n\s*- url: https:\/\/\S+\/metrics\/targets/);
    expect(text).toMatch(/rule_files:\s*\n\s*- alerts\.yml/);
  });
});

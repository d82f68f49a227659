import http from 'node:http';

/** GET over plain HTTP (a loopback metrics endpoint): status, content type and body. */
export function httpGet(url: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, type: res.headers['content-type'] ?? '', body }),
        );
      })
      .on('error', reject);
  });
}

/** The address shoald logged when its metrics listener bound (it was asked for port 0). */
export function loggedMetricsAddress(stderr: string): string {
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; address?: string };
    if (entry.msg === 'metrics listening' && entry.address) return entry.address;
  }
  throw new Error(`no "metrics listening" line in the daemon's log:\n${stderr}`);
}

import { type SpecBodyKind, type SpecMethod, type SpecRoute } from './spec-route.model';

/**
 * Reads the (method, path) pairs and body shapes out of the Docker Engine API swagger YAML.
 *
 * A line-oriented reader over the `paths:` section, not a YAML parser: the spec is
 * machine-formatted with a fixed indentation (2 spaces per level), which is all this relies on,
 * and it keeps the generator free of new dependencies. It fails loudly rather than guess when
 * the layout it expects is not there.
 */
const METHODS: ReadonlySet<string> = new Set(['get', 'head', 'post', 'put', 'delete', 'patch']);
const JSON_TYPES = ['application/json', 'text/plain'];

interface OperationDraft {
  method: SpecMethod;
  consumes?: string[];
  bodySchema?: 'object' | 'array' | 'string' | 'unknown';
  bodyRequired?: boolean;
}

export function parseSpecRoutes(yaml: string): SpecRoute[] {
  const lines = yaml.split(/\r?\n/);
  const globalConsumes = readTopLevelList(lines, 'consumes') ?? JSON_TYPES;
  const start = lines.findIndex((l) => l === 'paths:');
  if (start < 0) throw new Error('spec has no top-level "paths:" section');

  const routes: SpecRoute[] = [];
  let path: string | undefined;
  let op: OperationDraft | undefined;
  let inParams = false;
  let param: { in?: string; required?: boolean; schema?: OperationDraft['bodySchema'] } = {};
  let awaitingSchema = false;
  let inConsumes = false;

  const flushParam = () => {
    if (op && param.in === 'body') {
      op.bodySchema = param.schema ?? 'unknown';
      op.bodyRequired = param.required;
    }
    param = {};
    awaitingSchema = false;
  };
  const flushOp = () => {
    flushParam();
    if (op && path) routes.push(finish(path, op, globalConsumes));
    op = undefined;
    inParams = false;
    inConsumes = false;
  };

  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    if (indent === 0) break; // the next top-level section (definitions:, tags: ...)

    if (indent === 2) {
      flushOp();
      const m = /^ {2}(\/\S*):\s*$/.exec(line);
      if (!m) throw new Error(`spec line ${i + 1}: expected a path, got ${JSON.stringify(line)}`);
      path = m[1];
      continue;
    }
    if (indent === 4) {
      const m = /^ {4}([a-z]+):\s*$/.exec(line);
      if (m && METHODS.has(m[1]!)) {
        flushOp();
        op = { method: m[1]!.toUpperCase() as SpecMethod };
      }
      continue; // path-level keys such as `parameters:` shared by all methods: none in v1.44
    }
    if (!op) continue;

    if (indent === 6) {
      flushParam();
      inParams = /^ {6}parameters:\s*$/.test(line);
      inConsumes = false;
      const c = /^ {6}consumes:\s*(.*)$/.exec(line);
      if (c) {
        const inline = c[1]!.trim();
        if (inline.startsWith('[')) op.consumes = parseInlineList(inline);
        else {
          op.consumes = [];
          inConsumes = true;
        }
      }
      continue;
    }
    if (inConsumes && indent === 8) {
      const item = /^ {8}-\s*(.+)$/.exec(line);
      if (item) op.consumes!.push(unquote(item[1]!));
      continue;
    }
    if (!inParams) continue;

    if (indent === 8 && line.trimStart().startsWith('- ')) {
      flushParam();
      readParamKey(line.trimStart().slice(2));
      continue;
    }
    if (indent === 10) {
      awaitingSchema = false;
      readParamKey(line.trim());
      continue;
    }
    if (awaitingSchema && indent === 12) {
      const t = /^(type|\$ref|allOf):\s*(.*)$/.exec(line.trim());
      if (t) {
        awaitingSchema = false;
        if (t[1] === 'type') {
          const v = unquote(t[2]!);
          param.schema = v === 'object' || v === 'array' || v === 'string' ? v : 'unknown';
        } else param.schema = 'object'; // $ref and allOf name definitions, all objects here
      }
    }
  }
  flushOp();
  return routes;

  function readParamKey(kv: string): void {
    const m = /^([A-Za-z]+):\s*(.*)$/.exec(kv);
    if (!m) return;
    const [, key, value] = m;
    if (key === 'in') param.in = unquote(value!);
    else if (key === 'required') param.required = value!.trim() === 'true';
    else if (key === 'schema') awaitingSchema = true;
  }
}

function finish(path: string, op: OperationDraft, globalConsumes: string[]): SpecRoute {
  let body: SpecBodyKind = 'none';
  if (op.bodySchema !== undefined) {
    const consumes = op.consumes ?? globalConsumes;
    const json = consumes.includes('application/json');
    if (json && op.bodySchema === 'object') body = 'object';
    else if (json && op.bodySchema === 'array') body = 'array';
    else body = 'raw';
  }
  return {
    method: op.method,
    path,
    body,
    bodyRequired: body !== 'none' && op.bodyRequired !== false,
  };
}

function readTopLevelList(lines: string[], key: string): string[] | undefined {
  const i = lines.findIndex((l) => l === `${key}:`);
  if (i < 0) return undefined;
  const out: string[] = [];
  for (let j = i + 1; j < lines.length; j++) {
    const m = /^ {2}-\s*(.+)$/.exec(lines[j]!);
    if (!m) break;
    out.push(unquote(m[1]!));
  }
  return out;
}

function parseInlineList(s: string): string[] {
  return s
    .replace(/^\[|\]$/g, '')
    .split(',')
    .map((x) => unquote(x))
    .filter((x) => x !== '');
}

function unquote(s: string): string {
  return s.trim().replace(/^["']|["']$/g, '');
}

/**
 * The text format of the interaction scripts in ../testdata, and its inverse (used to rewrite
 * the expected outputs in place).
 *
 * A script is a sequence of commands, each followed by a `----` line and the output the
 * command is expected to print, up to the next blank line:
 *
 *   # Comments and blank lines between commands are kept verbatim.
 *   campaign 1
 *   ----
 *   <expected output, no blank lines>
 *
 * The format is deliberately this small: output never contains blank lines (the harness
 * guarantees it), so a blank line always ends a command, and a script is readable with
 * nothing but a text editor. The parser never touches the file system: the spec reads files
 * and passes their text in, which keeps this module inside the Raft core's purity rules.
 */

/** One argument: `key=value`, `key=(a,b)`, a bare word, a `(a,b)` list or a "quoted string". */
export interface Arg {
  /** Undefined for positional arguments. */
  key?: string;
  values: string[];
}

export interface Command {
  /** 1-based line of the command in its file, for error messages. */
  line: number;
  /** The command line exactly as written. */
  text: string;
  name: string;
  args: Arg[];
  /** The output written in the file (lines joined by \n; '' for none). */
  expected: string;
}

export type ScriptItem = { kind: 'text'; text: string } | { kind: 'command'; command: Command };

export interface Script {
  file: string;
  items: ScriptItem[];
}

/** A mistake in a script (as opposed to a Raft behaviour): always fails the test. */
export class ScriptError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'ScriptError';
  }
}

export const SEPARATOR = '----';

export function parseScript(file: string, source: string): Script {
  const lines = source.replace(/\r\n/g, '\n').split('\n');
  // A trailing newline is not an extra blank line.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const items: ScriptItem[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      items.push({ kind: 'text', text: line });
      i++;
      continue;
    }
    const lineNo = i + 1;
    if (lines[i + 1] !== SEPARATOR) {
      throw new ScriptError(file, lineNo, `expected "${SEPARATOR}" after command "${trimmed}"`);
    }
    i += 2;
    const out: string[] = [];
    while (i < lines.length && lines[i] !== '') out.push(lines[i++]!);
    // The blank line that ends the output belongs to the command (rendered back by it).
    if (i < lines.length) i++;
    const [name, ...args] = tokenize(file, lineNo, trimmed);
    items.push({
      kind: 'command',
      command: {
        line: lineNo,
        text: trimmed,
        name: name!.values[0]!,
        args,
        expected: out.join('\n'),
      },
    });
  }
  return { file, items };
}

/**
 * The script with each command's expected output replaced by `actual(command)`. Comments,
 * commands and spacing are preserved, so rewriting a passing script changes nothing.
 */
export function renderScript(script: Script, actual: (c: Command) => string): string {
  const out: string[] = [];
  for (const item of script.items) {
    if (item.kind === 'text') {
      out.push(item.text);
      continue;
    }
    out.push(item.command.text, SEPARATOR);
    const text = actual(item.command);
    if (text !== '') out.push(...text.split('\n'));
    out.push('');
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n') + '\n';
}

export function commands(script: Script): Command[] {
  const cmds: Command[] = [];
  for (const item of script.items) if (item.kind === 'command') cmds.push(item.command);
  return cmds;
}

function tokenize(file: string, line: number, text: string): Arg[] {
  const args: Arg[] = [];
  let i = 0;
  const fail = (msg: string): never => {
    throw new ScriptError(file, line, `${msg} in "${text}"`);
  };
  while (i < text.length) {
    if (text[i] === ' ' || text[i] === '\t') {
      i++;
      continue;
    }
    let key: string | undefined;
    const keyMatch = /^([A-Za-z][\w-]*)=/.exec(text.slice(i));
    if (keyMatch) {
      key = keyMatch[1];
      i += keyMatch[0].length;
    }
    let values: string[];
    if (text[i] === '(') {
      const end = text.indexOf(')', i);
      if (end < 0) fail('unclosed "("');
      const inner = text.slice(i + 1, end).trim();
      values = inner === '' ? [] : inner.split(',').map((s) => s.trim());
      i = end + 1;
    } else if (text[i] === '"') {
      // JSON string rules, so data with spaces or quotes can be written unambiguously.
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (end >= text.length) fail('unclosed string');
      values = [JSON.parse(text.slice(i, end + 1)) as string];
      i = end + 1;
    } else {
      let end = i;
      while (end < text.length && text[end] !== ' ' && text[end] !== '\t') end++;
      values = [text.slice(i, end)];
      i = end;
    }
    args.push(key === undefined ? { values } : { key, values });
  }
  if (args.length === 0 || args[0]!.key !== undefined) fail('missing command name');
  return args;
}

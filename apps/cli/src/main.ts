/**
 * shoal, the command-line client. It talks to shoald's Docker-compatible API, which lands with
 * issue #3; until then every command fails with a clear "not implemented" error.
 */
const NOT_IMPLEMENTED_EXIT = 2;

export function main(argv: string[]): number {
  const command = argv.join(' ') || '(no command)';
  process.stderr.write(
    `shoal: "${command}" is not implemented yet: the control API arrives with issue #3.\n`,
  );
  return NOT_IMPLEMENTED_EXIT;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));

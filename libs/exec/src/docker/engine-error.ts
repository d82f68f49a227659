/**
 * An engine call that failed, with a message that says what we were doing
 * (`docker: pull busybox:local: ...`) instead of dockerode's `(HTTP code 404) ...`, since the
 * message ends up in the task's status, where an operator reads it.
 */
export class DockerEngineError extends Error {
  override readonly name = 'DockerEngineError';

  constructor(
    message: string,
    /** The engine's HTTP status, when it answered at all. */
    readonly statusCode?: number,
  ) {
    super(message);
  }
}

/** The HTTP status of a dockerode error, if the engine answered. */
export function statusOf(e: unknown): number | undefined {
  const code = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The engine's own words: its JSON `message` when there is one, else the error's message. */
export function engineDetail(e: unknown): string {
  const json = (e as { json?: unknown } | null)?.json;
  if (json && typeof json === 'object' && 'message' in json) {
    const message = (json as { message?: unknown }).message;
    if (typeof message === 'string' && message.trim() !== '') return message.trim();
  }
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

export function engineError(op: string, subject: string, e: unknown): DockerEngineError {
  return new DockerEngineError(`docker: ${op} ${subject}: ${engineDetail(e)}`, statusOf(e));
}

/**
 * An error the control API returns as Docker does: an HTTP status and a body of
 * `{"message": "..."}`. Messages say what was wrong and, where it helps, what is accepted.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the request is malformed or a field is invalid. */
export class InvalidArgumentError extends ApiError {
  constructor(message: string) {
    super(400, message);
  }
}

/** 404: the named object does not exist. */
export class NotFoundError extends ApiError {
  constructor(message: string) {
    super(404, message);
  }
}

/** 409: a name is taken, or the object changed since the caller read it. */
export class ConflictError extends ApiError {
  constructor(message: string) {
    super(409, message);
  }
}

/** 413: the body is over the size limit. */
export class PayloadTooLargeError extends ApiError {
  constructor(limitBytes: number) {
    super(413, `request body is larger than the limit of ${limitBytes} bytes`);
  }
}

/** 501: the endpoint exists in the Docker API but Shoal does not serve it yet. */
export class NotImplementedError extends ApiError {
  constructor(message: string) {
    super(501, message);
  }
}

/** 503: the node is not in a state to answer (not a manager, no leader). */
export class UnavailableError extends ApiError {
  constructor(message: string) {
    super(503, message);
  }
}

/** Docker's exact wording, which scripts and the docker CLI match on. */
export const NOT_A_MANAGER_MESSAGE =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
export const ALREADY_IN_SWARM_MESSAGE =
  'This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.';

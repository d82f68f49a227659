// Original file: libs/api/src/proto/raft.proto


/**
 * Sent only when the client half-closes its stream; the stream is otherwise open for the
 * lifetime of the connection.
 */
export interface StreamAck {
}

/**
 * Sent only when the client half-closes its stream; the stream is otherwise open for the
 * lifetime of the connection.
 */
export interface StreamAck__Output {
}

/** HTTP methods the Docker Engine API spec uses. */
export type SpecMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/**
 * What an endpoint's request body is, as far as the HTTP shell cares:
 * - `none`: the spec declares no body parameter; any body sent is ignored, as Docker does.
 * - `object` / `array`: a JSON value of that shape; the shell parses it before routing.
 * - `raw`: a byte stream (tar archives, image tarballs); left unread for the handler.
 */
export type SpecBodyKind = 'none' | 'object' | 'array' | 'raw';

export interface SpecRoute {
  method: SpecMethod;
  /** The spec's path template, without the version prefix: `/services/{id}/update`. */
  path: string;
  body: SpecBodyKind;
  /**
   * False only where the spec says `required: false`. Docker's own clients always send the
   * JSON bodies the spec describes, so an empty one is a malformed request (see json-body).
   */
  bodyRequired: boolean;
}

// Original file: libs/api/src/proto/ca.proto


export interface IssueRequest {
  /**
   * PKCS#10, PEM.
   */
  'csrPem'?: (string);
  /**
   * SWMTKN-1-<CA digest>-<secret>.
   */
  'token'?: (string);
  /**
   * host:port the node will be reached at; empty lets the manager use the address it sees.
   */
  'advertiseAddr'?: (string);
  /**
   * "active" (the default when empty), "pause" or "drain".
   */
  'availability'?: (string);
  /**
   * The node's NodeDescription (hostname, platform, resources, engine) as Docker API JSON;
   * the manager keeps only the fields it knows.
   */
  'descriptionJson'?: (string);
}

export interface IssueRequest__Output {
  /**
   * PKCS#10, PEM.
   */
  'csrPem': (string);
  /**
   * SWMTKN-1-<CA digest>-<secret>.
   */
  'token': (string);
  /**
   * host:port the node will be reached at; empty lets the manager use the address it sees.
   */
  'advertiseAddr': (string);
  /**
   * "active" (the default when empty), "pause" or "drain".
   */
  'availability': (string);
  /**
   * The node's NodeDescription (hostname, platform, resources, engine) as Docker API JSON;
   * the manager keeps only the fields it knows.
   */
  'descriptionJson': (string);
}

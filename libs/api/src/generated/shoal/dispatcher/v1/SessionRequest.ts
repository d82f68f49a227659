// Original file: libs/api/src/proto/dispatcher.proto


export interface SessionRequest {
  /**
   * The node's NodeDescription (hostname, platform, resources, engine), Docker API JSON.
   */
  'descriptionJson'?: (string);
}

export interface SessionRequest__Output {
  /**
   * The node's NodeDescription (hostname, platform, resources, engine), Docker API JSON.
   */
  'descriptionJson': (string);
}

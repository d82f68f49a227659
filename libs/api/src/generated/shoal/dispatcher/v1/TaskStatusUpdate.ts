// Original file: libs/api/src/proto/dispatcher.proto


export interface TaskStatusUpdate {
  'taskId'?: (string);
  /**
   * The task's new Status (Docker API TaskStatus JSON).
   */
  'statusJson'?: (string);
}

export interface TaskStatusUpdate__Output {
  'taskId': (string);
  /**
   * The task's new Status (Docker API TaskStatus JSON).
   */
  'statusJson': (string);
}

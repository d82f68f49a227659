// Original file: libs/api/src/proto/manager.proto


export interface LogsTask {
  'taskId'?: (string);
  'nodeId'?: (string);
}

export interface LogsTask__Output {
  'taskId': (string);
  'nodeId': (string);
}

// Original file: libs/api/src/proto/dispatcher.proto


export interface UpdateTaskStatusResponse {
}

export interface UpdateTaskStatusResponse__Output {
}

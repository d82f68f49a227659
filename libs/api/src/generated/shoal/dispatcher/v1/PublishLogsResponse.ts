// Original file: libs/api/src/proto/dispatcher.proto


export interface PublishLogsResponse {
}

export interface PublishLogsResponse__Output {
}

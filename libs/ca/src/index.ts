export * from './certificate-authority';
export * from './tls-info';
export * from './certificate-request';
export * from './certificate-verifier';
export * from './join-token';
export * from './renewal';
export * from './unlock-key';

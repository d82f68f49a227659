export * from './clock';
export * from './ids';
export * from './logger';
export * from './crypto/aes-gcm.cipher';
export * from './utf8';

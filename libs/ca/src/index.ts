export * from './certificate-authority';

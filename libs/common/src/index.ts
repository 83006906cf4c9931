export * from './error-code';
export * from './error-status';
export * from './domain-error';
export * from './client-info';
export * from './mask-phone';
export * from './http/error-response.dto';
export * from './http/api-error-responses.decorator';
export * from './http/client.decorator';

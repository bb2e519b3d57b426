// Public face of the HTTP API.
export { buildApp, type AppOptions } from './app.js';
export { listen } from './listen.js';
export { loadTokens, loadWebhookSecret, type ServerTokens } from './auth.js';
export { toErrorBody, STATUS, type ErrorBody } from './errors.js';
export { installForwarding, clientAddress, type ForwardOptions, type ForwardTarget } from './forward.js';

export { DEFAULT_HTTP_LIMITS } from './limits';
export {
  applyHttpLimits,
  httpLimits,
  limitEmbedding,
  replyToLimit,
  serverLimitOptions,
} from './apply';
export { LimitError, bodyTooLarge, jsonTooDeep } from './errors';
export { Semaphore, gateEmbedder } from './semaphore';

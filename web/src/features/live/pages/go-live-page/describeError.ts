// Words for a failed call, for the streamer. Never carries request data
// (and so never a stream key).
import { ApiRequestError } from '../../../../services/apiClient';

export function describeError(error: unknown): string {
  if (!(error instanceof ApiRequestError)) return 'Something went wrong. Please retry.';
  switch (error.status) {
    case 0:
      return 'The server could not be reached. Check your connection and retry.';
    case 401:
      return 'Your session has expired. Sign in again to continue.';
    case 403:
      return 'You are not allowed to change this stream.';
    case 404:
      return 'This stream no longer exists. Reload the page to continue.';
    case 413:
      return 'The image is larger than 2 MiB. Choose a smaller one.';
    case 415:
      return 'This file is not a PNG, JPEG or WebP image.';
    case 429:
      return error.retryAfterSeconds
        ? `Too many requests. Retry in ${error.retryAfterSeconds} s.`
        : 'Too many requests. Retry in a moment.';
    case 502:
    case 503:
    case 504:
      return 'Live streaming is temporarily unavailable. Please retry in a moment.';
    default:
      if (error.status >= 500) return 'The server failed to answer. Please retry.';
      if (error.code === 'validation_failed') return 'Some fields need your attention.';
      return error.message;
  }
}

// The one HTTP client of the web app: every call goes to the gateway's
// `/api/v1`, unwraps the `{success, data}` envelope and turns an error
// envelope into an `ApiRequestError`. A bearer token is added when signed in.
import type { ErrorBody, FieldError, ListMeta } from '../api/types';

export const API_BASE = '/api/v1';

let currentToken: string | null = null;

/** Sets the bearer token sent with every call (null when signed out). */
export function setAuthToken(token: string | null): void {
  currentToken = token;
}

export function getAuthToken(): string | null {
  return currentToken;
}

/** A refused or failed call, carrying the envelope's code and field details. */
export class ApiRequestError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: FieldError[];
  readonly requestId: string | null;
  readonly retryAfterSeconds: number | null;

  constructor(status: number, body: Partial<ErrorBody>, retryAfterSeconds: number | null = null) {
    super(body.message ?? `request failed (${status})`);
    this.name = 'ApiRequestError';
    this.status = status;
    this.code = body.code ?? 'unknown';
    this.details = body.details ?? [];
    this.requestId = body.request_id ?? null;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The message for one field, if the server named it. */
  fieldMessage(field: string): string | undefined {
    return this.details.find((d) => d.field === field)?.message;
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** JSON-serialised unless it is a Blob (sent as is, e.g. an image). */
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface Page<T> {
  data: T[];
  meta: ListMeta;
}

function buildUrl(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null) params.set(key, String(value));
  }
  const qs = params.toString();
  // Absolute, so the same code runs in the browser and under Node (tests).
  return `${window.location.origin}${API_BASE}${path}${qs ? `?${qs}` : ''}`;
}

async function send(path: string, options: RequestOptions): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (currentToken) headers.Authorization = `Bearer ${currentToken}`;
  if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
  let body: BodyInit | undefined;
  if (options.body instanceof Blob) {
    body = options.body;
    headers['Content-Type'] = options.body.type || 'application/octet-stream';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] = 'application/json';
  }
  let response: Response;
  try {
    response = await fetch(buildUrl(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body,
      signal: options.signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiRequestError(0, { code: 'network_error', message: 'The server could not be reached.' });
  }
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = {};
  }
  if (!response.ok || json.success === false) {
    const retry = response.headers.get('Retry-After');
    const error = (json.error ?? {}) as Partial<ErrorBody>;
    throw new ApiRequestError(response.status, error, retry ? Number(retry) : null);
  }
  return json;
}

/** Calls the API and returns the envelope's `data`. Fails with `ApiRequestError`. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const json = await send(path, options);
  return json.data as T;
}

/** Calls a list endpoint and returns `data` with its `meta`. */
export async function requestPage<T>(path: string, options: RequestOptions = {}): Promise<Page<T>> {
  const json = await send(path, options);
  return { data: json.data as T[], meta: json.meta as ListMeta };
}

/** A fresh idempotency key for one logical create. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

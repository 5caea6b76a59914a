import { http, HttpResponse } from 'msw';
import { server } from '../mocks/server';
import { ApiRequestError, request, setAuthToken } from './apiClient';

describe('apiClient', () => {
  afterEach(() => setAuthToken(null));

  it('unwraps the success envelope and sends the bearer token', async () => {
    let auth: string | null = null;
    server.use(
      http.get('*/api/v1/echo', ({ request: req }) => {
        auth = req.headers.get('Authorization');
        return HttpResponse.json({ success: true, data: { hello: 'world' } });
      }),
    );
    setAuthToken('tok');
    await expect(request('/echo')).resolves.toEqual({ hello: 'world' });
    expect(auth).toBe('Bearer tok');
  });

  it('turns an error envelope into an ApiRequestError with field details and Retry-After', async () => {
    server.use(
      http.post('*/api/v1/echo', () =>
        HttpResponse.json(
          { success: false, error: { code: 'validation_failed', message: 'bad', details: [{ field: 'title', message: 'too long' }], request_id: 'r1' } },
          { status: 400, headers: { 'Retry-After': '3' } },
        ),
      ),
    );
    const error = await request('/echo', { method: 'POST', body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiRequestError);
    const apiError = error as ApiRequestError;
    expect(apiError.status).toBe(400);
    expect(apiError.code).toBe('validation_failed');
    expect(apiError.fieldMessage('title')).toBe('too long');
    expect(apiError.requestId).toBe('r1');
    expect(apiError.retryAfterSeconds).toBe(3);
  });

  it('reports an unreachable server as a network error', async () => {
    server.use(http.get('*/api/v1/echo', () => HttpResponse.error()));
    await expect(request('/echo')).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });
});

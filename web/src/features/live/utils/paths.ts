// The client paths the live pages link to.

/** A stream's page. */
export function streamPath(streamId: string): string {
  return `/live/${encodeURIComponent(streamId)}`;
}

/** Sign-in, coming back to the stream's page afterwards. */
export function signInPath(streamId: string): string {
  return `/signin?next=${streamPath(streamId)}`;
}

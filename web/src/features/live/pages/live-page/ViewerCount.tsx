// The live viewer count, announced politely as it changes.
export function ViewerCount({ count }: { count: number }) {
  return (
    <span className="viewer-count" data-testid="viewer-count" aria-live="polite" aria-atomic="true">
      <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
        <path
          d="M12 5c-5 0-9 4.5-10 7 1 2.5 5 7 10 7s9-4.5 10-7c-1-2.5-5-7-10-7zm0 11a4 4 0 110-8 4 4 0 010 8z"
          fill="currentColor"
        />
      </svg>
      <span className="viewer-number">{count.toLocaleString()}</span> watching
    </span>
  );
}

// One listing section: its heading, its cards, and its loading, empty,
// error and "Load more" states.
import { type ReactNode, useId } from 'react';
import type { ListStreamsQuery } from '../../../services/liveService';
import { useStreamList } from '../hooks/useStreamList';
import { StreamCard } from './StreamCard';

export interface StreamSectionProps {
  title: string;
  query: ListStreamsQuery;
  /** Shown when the section has no stream. */
  empty: ReactNode;
  /** A short line under the heading. */
  subtitle?: string;
}

function SkeletonCards() {
  return (
    <div className="stream-grid" aria-hidden="true">
      {[0, 1, 2, 3].map((i) => (
        <div key={i} className="stream-card skeleton">
          <div className="thumb" />
          <div className="body">
            <span className="skeleton-line" />
            <span className="skeleton-line short" />
          </div>
        </div>
      ))}
    </div>
  );
}

export function StreamSection({ title, query, empty, subtitle }: StreamSectionProps) {
  const list = useStreamList(query);
  const headingId = useId();
  return (
    <section className="listing-section" aria-labelledby={headingId} aria-busy={list.status === 'loading'}>
      <header className="section-header">
        <h2 id={headingId}>{title}</h2>
        {list.status === 'ready' && list.streams.length > 0 && (
          <span className="section-count">{list.streams.length}{list.hasMore ? '+' : ''}</span>
        )}
        {subtitle && <p className="muted section-subtitle">{subtitle}</p>}
      </header>
      {list.status === 'loading' && (
        <>
          <p className="sr-only" role="status">
            Loading {title.toLowerCase()}…
          </p>
          <SkeletonCards />
        </>
      )}
      {list.status === 'error' && (
        <div className="notice error section-error" role="alert">
          <span>Couldn’t load these streams. {list.error}</span>
          <button type="button" onClick={list.retry}>
            Retry
          </button>
        </div>
      )}
      {list.status === 'ready' && list.streams.length === 0 && <div className="empty-state">{empty}</div>}
      {list.status === 'ready' && list.streams.length > 0 && (
        <>
          <div className="stream-grid">
            {list.streams.map((stream) => (
              <StreamCard key={stream.id} stream={stream} />
            ))}
          </div>
          {list.hasMore && (
            <div className="load-more">
              <button type="button" onClick={list.loadMore} disabled={list.loadingMore}>
                {list.loadingMore ? 'Loading…' : 'Load more'}
              </button>
              {list.moreFailed && (
                <span className="error" role="alert">
                  Couldn’t load more streams.
                </span>
              )}
            </div>
          )}
        </>
      )}
    </section>
  );
}

// `/live`: who is live now (most watched first), what is scheduled (with
// a countdown), and the replays.
import { Link } from 'react-router';
import { StreamSection } from '../components/StreamSection';
import '../live.css';

const PAGE_SIZE = 12;
const LIVE = { is_live: true, limit: PAGE_SIZE };
const SCHEDULED = { scheduled: true, limit: PAGE_SIZE };
const REPLAYS = { is_vod: true, limit: PAGE_SIZE };

export default function LiveListingPage() {
  return (
    <main className="page listing">
      <header className="listing-header">
        <h1>Live on Veza</h1>
        <p className="muted">Sets, sessions and premieres streamed live by the artists themselves.</p>
      </header>
      <StreamSection
        title="Live now"
        query={LIVE}
        subtitle="Most watched first"
        empty={
          <>
            <p>Nobody is live right now.</p>
            <p className="muted">
              Check the schedule below, or <Link to="/live/go-live">go live yourself</Link>.
            </p>
          </>
        }
      />
      <StreamSection
        title="Scheduled"
        query={SCHEDULED}
        subtitle="Coming up soonest first"
        empty={<p>No upcoming streams are scheduled.</p>}
      />
      <StreamSection
        title="Replays"
        query={REPLAYS}
        subtitle="Streams you missed"
        empty={<p>No replays yet. Ended streams show up here.</p>}
      />
    </main>
  );
}

// Where the encoder publishes: the RTMP server and the key, each copyable,
// and the settings for OBS Studio and Streamlabs.
import { CopyButton } from './CopyButton';
import { KEY_MASK } from './StreamKeyPanel';

interface ConnectionInfoProps {
  rtmpUrl: string;
  streamKey: string | null;
}

export function ConnectionInfo({ rtmpUrl, streamKey }: ConnectionInfoProps) {
  return (
    <section className="card stack" aria-labelledby="connection-heading">
      <h2 id="connection-heading">Connect your encoder</h2>
      <dl className="connection-fields">
        <dt>Server</dt>
        <dd>
          <code className="mono" data-testid="rtmp-url">
            {rtmpUrl}
          </code>
          <CopyButton
            value={rtmpUrl || null}
            label="Copy server URL"
            visibleLabel="Copy"
            fallbackHint="Select the URL and copy it by hand."
          />
        </dd>
        <dt>Stream key</dt>
        <dd>
          <code className="mono muted" aria-describedby="connection-key-note">
            {KEY_MASK}
          </code>
          <span id="connection-key-note" className="sr-only">
            Stream key hidden; reveal it under Stream key.
          </span>
          <CopyButton
            value={streamKey}
            label="Copy stream key"
            visibleLabel="Copy"
            fallbackHint="Reveal the key above and copy it by hand."
          />
        </dd>
      </dl>
      <details className="encoder-steps" open>
        <summary>OBS Studio</summary>
        <ol className="steps">
          <li>
            Open <strong>Settings → Stream</strong>.
          </li>
          <li>
            Set <strong>Service</strong> to <strong>Custom</strong>.
          </li>
          <li>
            Paste the server URL into <strong>Server</strong> and your key into <strong>Stream Key</strong>.
          </li>
          <li>
            In <strong>Settings → Output</strong> (Output Mode: Advanced), set <strong>Keyframe Interval</strong> to{' '}
            <strong>2 s</strong>.
          </li>
          <li>
            Press <strong>Start Streaming</strong>. This page turns live as soon as the video arrives.
          </li>
        </ol>
      </details>
      <details className="encoder-steps">
        <summary>Streamlabs Desktop</summary>
        <ol className="steps">
          <li>
            Open <strong>Settings → Stream</strong>.
          </li>
          <li>
            Set <strong>Stream Type</strong> to <strong>Custom Streaming Server</strong>.
          </li>
          <li>
            Paste the server URL into <strong>URL</strong> and your key into <strong>Stream key</strong>.
          </li>
          <li>
            In <strong>Settings → Output</strong> (Output Mode: Advanced), set <strong>Keyframe Interval</strong> to{' '}
            <strong>2 s</strong>.
          </li>
          <li>
            Press <strong>Go Live</strong> in Streamlabs.
          </li>
        </ol>
      </details>
    </section>
  );
}

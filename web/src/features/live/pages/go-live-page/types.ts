// Shapes shared by the Go Live page and its parts.

/** What the streamer submits: the stream's metadata, and a start time when scheduling. */
export interface CreateStreamData {
  title: string;
  description: string;
  category: string;
  tags: string[];
  /** An http(s) URL; absent to clear the thumbnail. */
  thumbnailUrl?: string;
  /** UTC ISO 8601. Present for "Schedule Stream", absent for "Go Live Now". */
  scheduledAt?: string;
  /** Record the broadcast as a replay (read when the stream goes live). */
  recordReplay: boolean;
}

/** The form as typed, before validation. */
export interface StreamFormValues {
  title: string;
  description: string;
  category: string;
  /** Comma-separated. */
  tags: string;
  thumbnailUrl: string;
  /** A `datetime-local` value in the viewer's time zone, or empty. */
  scheduledAt: string;
  /** The "Record a replay" checkbox. */
  recordReplay: boolean;
}

export type StreamFormField = keyof StreamFormValues;

/** Changes one field of the form. */
export type SetStreamField = <F extends StreamFormField>(field: F, value: StreamFormValues[F]) => void;

/** Messages shown next to the fields; `thumbnailFile` is the image upload. */
export type FieldErrors = Partial<Record<StreamFormField | 'thumbnailFile', string>>;

/** Where the streamer is: nothing started, scheduled, waiting for the encoder, live, ended. */
export type LivePhase = 'idle' | 'scheduled' | 'waiting' | 'live' | 'ended';

/** A message shown to the streamer after an action. */
export interface Feedback {
  kind: 'notice' | 'error';
  text: string;
}

// Stream configuration: title, description, category and tags, each with
// the client's and the server's messages next to it.
import { CharCount, FormField } from './FormField';
import { LIMITS, charCount, parseTags } from './streamForm';
import type { FieldErrors, StreamFormField, StreamFormValues } from './types';

interface StreamConfigFormProps {
  values: StreamFormValues;
  errors: FieldErrors;
  disabled?: boolean;
  onChange: (field: StreamFormField, value: string) => void;
}

export function StreamConfigForm({ values, errors, disabled = false, onChange }: StreamConfigFormProps) {
  const tags = parseTags(values.tags);
  return (
    <section className="card stack" aria-labelledby="config-heading">
      <h2 id="config-heading">Stream details</h2>
      <FormField
        id="stream-title"
        label="Title"
        error={errors.title}
        aside={<CharCount count={charCount(values.title.trim())} max={LIMITS.title} />}
      >
        {(a11y) => (
          <input
            {...a11y}
            type="text"
            required
            disabled={disabled}
            autoComplete="off"
            placeholder="What are you streaming today?"
            value={values.title}
            onChange={(e) => onChange('title', e.target.value)}
          />
        )}
      </FormField>
      <FormField
        id="stream-description"
        label="Description"
        error={errors.description}
        aside={<CharCount count={charCount(values.description.trim())} max={LIMITS.description} />}
      >
        {(a11y) => (
          <textarea
            {...a11y}
            rows={4}
            disabled={disabled}
            placeholder="Tell viewers what to expect."
            value={values.description}
            onChange={(e) => onChange('description', e.target.value)}
          />
        )}
      </FormField>
      <div className="field-row">
        <FormField id="stream-category" label="Category" error={errors.category}>
          {(a11y) => (
            <input
              {...a11y}
              type="text"
              disabled={disabled}
              autoComplete="off"
              placeholder="e.g. house"
              value={values.category}
              onChange={(e) => onChange('category', e.target.value)}
            />
          )}
        </FormField>
        <FormField
          id="stream-tags"
          label="Tags"
          error={errors.tags}
          hint={`Comma-separated, up to ${LIMITS.tags} tags of ${LIMITS.tag} characters.`}
        >
          {(a11y) => (
            <input
              {...a11y}
              type="text"
              disabled={disabled}
              autoComplete="off"
              placeholder="deep, vinyl"
              value={values.tags}
              onChange={(e) => onChange('tags', e.target.value)}
            />
          )}
        </FormField>
      </div>
      {tags.length > 0 ? (
        <ul className="tag-list" aria-label="Tags preview">
          {tags.map((tag) => (
            <li key={tag} className={charCount(tag) > LIMITS.tag ? 'tag too-long' : 'tag'}>
              {tag}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

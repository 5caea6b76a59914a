// The Node.js peer of live-catalog's two public read routes, as a Node
// developer would write them: fastify + pg, the same SQL, the same
// envelope and fields. Logging off (fastify's default).
//   DATABASE_URL=... PORT=... HLS_PUBLIC_URL=... node catalog.js
'use strict';
const fastify = require('fastify')({ logger: false });
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 16 });
const hls = process.env.HLS_PUBLIC_URL || 'http://127.0.0.1:8090/hls';
const COLUMNS =
  'id, user_id, streamer_name, title, description, category, tags, thumbnail_url, status, ' +
  'scheduled_at, started_at, ended_at, viewer_count, peak_viewers, session_id, ' +
  'viewers_reported_at, created_at, updated_at';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function view(r) {
  const live = r.status === 'live';
  return {
    id: r.id,
    user_id: r.user_id,
    streamer_name: r.streamer_name,
    title: r.title,
    description: r.description,
    category: r.category,
    tags: r.tags,
    thumbnail_url: r.thumbnail_url,
    status: r.status,
    is_live: live,
    is_vod: r.status === 'ended',
    scheduled_at: r.scheduled_at,
    started_at: r.started_at,
    ended_at: r.ended_at,
    viewer_count: live ? r.viewer_count : 0,
    peak_viewers: r.peak_viewers,
    stream_url: live ? `${hls}/${r.id}.m3u8` : null,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

function error(reply, status, code, message) {
  return reply.code(status).send({ success: false, error: { code, message } });
}

fastify.get('/api/v1/live/streams', async (req, reply) => {
  const q = req.query;
  const limit = q.limit === undefined ? 20 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    return error(reply, 400, 'validation_failed', 'limit must be 1 to 100');
  }
  if (q.is_live !== 'true') {
    return error(reply, 400, 'bad_request', 'this peer serves is_live=true only');
  }
  const { rows } = await pool.query({
    name: 'list_live',
    text: `SELECT ${COLUMNS} FROM live_streams WHERE status = ANY($1) ` +
      'ORDER BY viewer_count DESC, id DESC LIMIT $2',
    values: [['live'], limit + 1],
  });
  const hasMore = rows.length > limit;
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const next = hasMore && last
    ? Buffer.from(`l.${last.viewer_count}.${last.id.replaceAll('-', '')}`).toString('base64url')
    : null;
  return {
    success: true,
    data: page.map(view),
    meta: { limit, next_cursor: next, has_more: hasMore },
  };
});

fastify.get('/api/v1/live/streams/:id', async (req, reply) => {
  const { id } = req.params;
  if (!UUID.test(id)) return error(reply, 404, 'not_found', 'no such resource');
  const { rows } = await pool.query({
    name: 'get_stream',
    text: `SELECT ${COLUMNS} FROM live_streams WHERE id = $1 LIMIT $2`,
    values: [id, 1],
  });
  const row = rows[0];
  if (!row || row.status === 'draft') return error(reply, 404, 'not_found', 'stream not found');
  return { success: true, data: view(row) };
});

fastify.listen({ host: '127.0.0.1', port: Number(process.env.PORT || 0) }).then((address) => {
  console.log(`listening ${address}`);
});

// The Node.js peer of chat-gateway's WebSocket subset that the benchmark
// drives: `join` (any number of rooms), `send` (with its optional
// `client_msg_id`) and the `message` broadcast, on `ws`, with the same
// persistence per message (one transaction: the room row locked, the ban,
// resend, rate-limit and seq statements, the insert) before the broadcast.
// CHAT_RATE_LIMIT messages per user and room in 10 s, as chat-gateway's.
//   DATABASE_URL=... JWT_SECRET=... PORT=... [CHAT_RATE_LIMIT=...] node chat.js
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const { WebSocketServer } = require('ws');
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 16 });
const secret = process.env.JWT_SECRET || '';
const rateLimit = Math.max(1, Number(process.env.CHAT_RATE_LIMIT || 1000000));
const RATE_WINDOW_MS = 10000;
const rooms = new Map(); // stream_id -> Set of sockets
const known = new Set(); // rooms whose row exists

// HS256 tokens as the services accept them: signature, expiry, user id.
function verify(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const mac = crypto.createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const sig = Buffer.from(parts[2], 'base64url');
  if (sig.length !== mac.length || !crypto.timingSafeEqual(sig, mac)) return null;
  const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
  if (!claims.exp || claims.exp * 1000 < Date.now()) return null;
  const id = claims.user_id || claims.sub;
  if (!id) return null;
  return { id, name: claims.username || `user-${id.replaceAll('-', '').slice(0, 8)}` };
}

function send(ws, frame) { ws.send(JSON.stringify(frame)); }

async function ensureRoom(streamId) {
  if (known.has(streamId)) return;
  await pool.query(
    "INSERT INTO chat_rooms (stream_id, owner_id, status) VALUES ($1, $2, 'live') " +
      'ON CONFLICT (stream_id) DO NOTHING',
    [streamId, crypto.randomUUID()],
  );
  known.add(streamId);
}

async function join(ws, streamId) {
  await ensureRoom(streamId);
  const room = await pool.query({
    name: 'room', text: 'SELECT status, last_seq FROM chat_rooms WHERE stream_id = $1', values: [streamId],
  });
  const history = await pool.query({
    name: 'history',
    text: 'SELECT id, seq, user_id, username, content, created_at FROM chat_messages ' +
      'WHERE stream_id = $1 AND deleted_at IS NULL ORDER BY seq DESC LIMIT 50',
    values: [streamId],
  });
  let members = rooms.get(streamId);
  if (!members) rooms.set(streamId, (members = new Set()));
  members.add(ws);
  ws.rooms.add(streamId);
  send(ws, {
    type: 'joined', stream_id: streamId, can_send: ws.user !== null, viewer_count: 0,
    status: room.rows[0].status, last_seq: Number(room.rows[0].last_seq),
    history: history.rows.reverse().map((r) => message(streamId, r)),
  });
}

function message(streamId, r) {
  const frame = {
    type: 'message', stream_id: streamId, seq: Number(r.seq), id: r.id, user_id: r.user_id,
    username: r.username, content: r.content, created_at: r.created_at.toISOString(),
  };
  if (r.client_msg_id) frame.client_msg_id = r.client_msg_id;
  return frame;
}

// `{ row }` accepted, `{ duplicate }` sent before with the same
// client_msg_id, or `{ code, message, retryAfterMs? }` refused.
async function persist(streamId, user, content, clientMsgId) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const room = await client.query({
      name: 'lock', text: 'SELECT status, slow_mode_s FROM chat_rooms WHERE stream_id = $1 FOR UPDATE',
      values: [streamId],
    });
    if (!room.rows[0]) {
      await client.query('ROLLBACK');
      return { code: 'not_found', message: 'no chat room for this stream' };
    }
    if (room.rows[0].status !== 'live') {
      await client.query('ROLLBACK');
      return { code: 'room_closed', message: 'this chat is read-only' };
    }
    const now = new Date();
    const ban = await client.query({
      name: 'ban',
      text: 'SELECT 1 FROM chat_bans WHERE stream_id = $1 AND user_id = $2 ' +
        'AND (expires_at IS NULL OR expires_at > $3)',
      values: [streamId, user.id, now],
    });
    if (ban.rows.length) {
      await client.query('ROLLBACK');
      return { code: 'banned', message: 'you are banned from this chat' };
    }
    if (clientMsgId) {
      const sent = await client.query({
        name: 'resend',
        text: 'SELECT id, seq, user_id, username, content, client_msg_id, created_at FROM chat_messages ' +
          'WHERE stream_id = $1 AND user_id = $2 AND client_msg_id = $3',
        values: [streamId, user.id, clientMsgId],
      });
      if (sent.rows.length) { await client.query('ROLLBACK'); return { duplicate: sent.rows[0] }; }
    }
    const limited = await client.query({
      name: 'rate',
      text: 'SELECT created_at FROM chat_messages WHERE stream_id = $1 AND user_id = $2 ' +
        'AND created_at > $3 ORDER BY created_at DESC OFFSET $4 LIMIT 1',
      values: [streamId, user.id, new Date(now.getTime() - RATE_WINDOW_MS), rateLimit - 1],
    });
    if (limited.rows.length) {
      await client.query('ROLLBACK');
      const retryAfterMs = Math.max(1, limited.rows[0].created_at.getTime() + RATE_WINDOW_MS - now.getTime());
      return { code: 'rate_limited', message: 'too many messages, wait before sending again', retryAfterMs };
    }
    const seq = await client.query({
      name: 'seq',
      text: 'UPDATE chat_rooms SET last_seq = last_seq + 1 WHERE stream_id = $1 RETURNING last_seq',
      values: [streamId],
    });
    const row = {
      id: crypto.randomUUID(), seq: seq.rows[0].last_seq, user_id: user.id,
      username: user.name, content, client_msg_id: clientMsgId, created_at: now,
    };
    await client.query({
      name: 'insert',
      text: 'INSERT INTO chat_messages (id, stream_id, seq, user_id, username, content, client_msg_id, ' +
        'created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      values: [row.id, streamId, row.seq, row.user_id, row.username, row.content, clientMsgId,
        row.created_at],
    });
    await client.query('COMMIT');
    return { row };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

async function onFrame(ws, raw) {
  let frame;
  try { frame = JSON.parse(raw); } catch { return send(ws, { type: 'error', code: 'bad_frame', message: 'not JSON' }); }
  if (frame.type === 'join') return join(ws, frame.stream_id);
  if (frame.type === 'send') {
    const streamId = frame.stream_id;
    if (!ws.user) return send(ws, { type: 'error', code: 'unauthorized', message: 'sign in to chat', stream_id: streamId });
    if (!ws.rooms.has(streamId)) return send(ws, { type: 'error', code: 'not_joined', message: 'join first', stream_id: streamId });
    const content = typeof frame.content === 'string' ? frame.content.trim() : '';
    if (content.length < 1 || content.length > 500) {
      return send(ws, { type: 'error', code: 'validation_failed', message: 'content must be 1 to 500 characters', stream_id: streamId });
    }
    let clientMsgId = null;
    if (frame.client_msg_id !== undefined && frame.client_msg_id !== null) {
      clientMsgId = String(frame.client_msg_id).trim();
      if (clientMsgId.length < 1 || Buffer.byteLength(clientMsgId) > 64) {
        return send(ws, { type: 'error', code: 'validation_failed', message: 'client_msg_id must be 1 to 64 bytes', stream_id: streamId });
      }
    }
    const outcome = await persist(streamId, ws.user, content, clientMsgId);
    if (outcome.duplicate) return send(ws, message(streamId, outcome.duplicate));
    if (!outcome.row) {
      const error = { type: 'error', code: outcome.code, message: outcome.message };
      if (outcome.retryAfterMs) error.retry_after_ms = outcome.retryAfterMs;
      error.stream_id = streamId;
      return send(ws, error);
    }
    // Serialised once, sent to every member.
    const text = JSON.stringify(message(streamId, outcome.row));
    for (const member of rooms.get(streamId) || []) member.send(text);
    return undefined;
  }
  return send(ws, { type: 'error', code: 'bad_frame', message: 'unknown frame type' });
}

const server = http.createServer((_req, res) => { res.writeHead(404).end(); });
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 });
server.on('upgrade', (req, socket, head) => {
  if (req.url !== '/ws') { socket.destroy(); return; }
  const auth = req.headers.authorization || '';
  const user = auth.startsWith('Bearer ') ? verify(auth.slice(7)) : null;
  if (auth && !user) { socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n'); return; }
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.user = user;
    ws.rooms = new Set();
    ws.on('message', (data) => {
      onFrame(ws, data.toString()).catch((e) => {
        console.error(e);
        send(ws, { type: 'error', code: 'service_unavailable', message: 'the chat is unavailable, retry later' });
      });
    });
    ws.on('close', () => { for (const id of ws.rooms) rooms.get(id)?.delete(ws); });
  });
});
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});

// A fixed-rate HTTP load client: sends RATE requests per second for
// SECONDS on keep-alive connections, whatever the answers' latency (an
// open model, unlike wrk's closed loop), and prints the latency
// percentiles and status counts as JSON.
//   node rate.js URL RATE SECONDS [BODY] [CONTENT_TYPE]
'use strict';
const http = require('node:http');

const [url, rate, seconds, body = '', type = 'application/x-www-form-urlencoded'] = process.argv.slice(2);
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const total = Math.round(Number(rate) * Number(seconds));
const latencies = [];
const statuses = {};
let sent = 0;
let done = 0;
const start = process.hrtime.bigint();

function one() {
  const t0 = process.hrtime.bigint();
  const req = http.request({
    host: target.hostname, port: target.port, path: target.pathname + target.search,
    method: body ? 'POST' : 'GET', agent,
    headers: body ? { 'content-type': type, 'content-length': Buffer.byteLength(body) } : {},
  }, (res) => {
    res.resume();
    res.on('end', () => {
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1;
      finish();
    });
  });
  req.on('error', () => { statuses.error = (statuses.error || 0) + 1; finish(); });
  if (body) req.write(body);
  req.end();
}

function finish() {
  done += 1;
  if (done < total) return;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * p) - 1)] || 0;
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(JSON.stringify({
    requests: done, seconds: elapsed, rate: done / elapsed,
    p50_ms: q(0.5), p90_ms: q(0.9), p99_ms: q(0.99), max_ms: q(1), statuses,
  }));
  agent.destroy();
}

// Every millisecond, send what is due since the start.
const timer = setInterval(() => {
  const due = Math.min(total, Math.floor((Number(process.hrtime.bigint() - start) / 1e9) * Number(rate)));
  while (sent < due) { sent += 1; one(); }
  if (sent >= total) clearInterval(timer);
}, 1);

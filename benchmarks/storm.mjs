#!/usr/bin/env node
// The reconnect storm's clients (Node, socket.io-client 4.8 from Parley's node_modules), driven by
// benchmarks/storm.py:
//
//   node benchmarks/storm.mjs --url http://127.0.0.1:5000 --cookies cookies.json --clients 1000
//
// N clients connect over WebSocket (with the browser's reconnection settings: socket.io-client's
// defaults), join one room and hold its messages by seq, as Parley's own client does: on every
// (re)connect a `join` with `since` = the last contiguous seq, `history` for a gap. One of them
// sends --before messages and every client gets them; then the line {"phase":"ready"} goes to
// stdout and the driver restarts the server. {"phase":"first-back"} is printed when the first
// client is connected again (the new server serves), {"phase":"back"} when every client has
// joined again. The sender posts --after messages as soon as it is back (while the others still
// reconnect). Finally one JSON line of figures: seconds until all were back (from the first
// reconnect and from the drop), join refusals by code, messages missing anywhere once everyone
// caught up (loss), presence events received. Every wait has a deadline; only 127.0.0.1 URLs are
// accepted.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import fs from 'node:fs';

const require = createRequire(import.meta.url);
const { io } = require('socket.io-client');

const opt = {
  url: 'http://127.0.0.1:5000', cookies: '', clients: 1000, room: 'bench', before: 20, after: 20,
  'max-seconds': 300, 'connect-batch': 50, 'catch-up-s': 60,
};
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '');
  if (!(key in opt)) throw new Error(`unknown option --${key}`);
  opt[key] = typeof opt[key] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(opt.url)) throw new Error('only http://127.0.0.1:<port> is allowed');

const now = () => performance.now();
const started = now();
const deadline = started + opt['max-seconds'] * 1000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const note = (...parts) => process.stderr.write(`[storm ${((now() - started) / 1000).toFixed(1)}s] ${parts.join(' ')}\n`);
const presence = { events: 0, changes: 0 };
const refusals = {};
let storming = false;   // from the "ready" line on: drops before it (a busy server's ping timeouts) do not count
let firstDrop = null;
let firstBack = null;

async function ask(socket, event, payload) {
  try {
    return await socket.timeout(20000).emitWithAck(event, payload);
  } catch (e) {
    return { ok: false, error: { code: 'timeout' } };
  }
}

class Client {
  seqs = new Set();
  joins = 0;
  joinedAt = 0;
  refusals = 0;
  lastSeq = 0;

  constructor(cookie) {
    this.socket = io(opt.url, { transports: ['websocket'], extraHeaders: { Cookie: cookie } });
    this.socket.on('connect', () => {
      if (storming && firstDrop !== null && firstBack === null) {
        firstBack = now();
        say({ phase: 'first-back' });
      }
      this.join();
    });
    this.socket.on('disconnect', () => { if (storming && firstDrop === null) firstDrop = now(); });
    this.socket.on('message', (m) => {
      if (!m || m.room !== opt.room || !Number.isInteger(m.seq)) return;
      this.seqs.add(m.seq);
      this.lastSeq = Math.max(this.lastSeq, m.seq);
      if (m.seq > this.contiguous() + 1) this.fill();
    });
    this.socket.on('presence', (ev) => {
      presence.events += 1;
      presence.changes += Array.isArray(ev && ev.changes) ? ev.changes.length : 0;
    });
  }

  contiguous() {
    let seq = 0;
    while (this.seqs.has(seq + 1)) seq += 1;
    return seq;
  }

  async join() {
    for (let attempt = 0; attempt < 30 && this.socket.connected && now() < deadline; attempt++) {
      const ack = await ask(this.socket, 'join', { room: opt.room, since: this.contiguous() });
      if (ack.ok) {
        for (const m of ack.messages) this.seqs.add(m.seq);
        this.lastSeq = Math.max(this.lastSeq, ack.last_seq);
        this.joins += 1;
        this.joinedAt = now();
        this.fill();
        return;
      }
      this.refusals += 1;
      const code = (ack.error && ack.error.code) || 'unknown';
      refusals[code] = (refusals[code] || 0) + 1;
      await sleep(500 * (attempt + 1));
    }
  }

  // Ask `history` after the last contiguous seq until the newest known one is held (bounded).
  async fill() {
    if (this.filling) return;
    this.filling = true;
    for (let page = 0; page < 20 && this.contiguous() < this.lastSeq && this.socket.connected; page++) {
      const got = await ask(this.socket, 'history', { room: opt.room, after: this.contiguous(), limit: 200 });
      if (!got.ok || !got.messages.length) break;
      for (const m of got.messages) this.seqs.add(m.seq);
    }
    this.filling = false;
  }
}

async function waitFor(what, predicate, seconds) {
  const until = Math.min(deadline, now() + seconds * 1000);
  while (!predicate()) {
    if (now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function send(sender, count, from) {
  for (let n = 0; n < count; n++) {
    const ack = await ask(sender.socket, 'message', { room: opt.room, text: `storm ${from + n}`, client_id: `storm-${from + n}-${started}` });
    if (ack.ok) {
      sender.seqs.add(ack.message.seq);
      sender.lastSeq = Math.max(sender.lastSeq, ack.message.seq);
    } else {
      n -= 1;   // refused (the server is still busy): the same client_id again after a pause
      await sleep(200);
    }
    if (now() > deadline) throw new Error('deadline while sending');
    await sleep(50);
  }
}

async function main() {
  const cookies = JSON.parse(fs.readFileSync(opt.cookies, 'utf8')).users.slice(0, opt.clients);
  if (cookies.length < opt.clients) throw new Error(`only ${cookies.length} logged-in users`);
  const clients = [];
  for (const { cookie } of cookies) {   // the first connects in batches: the storm is the second
    clients.push(new Client(cookie));
    if (clients.length % opt['connect-batch'] === 0) await sleep(250);
  }
  await waitFor('every first join', () => clients.every((c) => c.joins >= 1), 180);
  const [sender] = clients;
  await send(sender, opt.before, 0);
  const total = () => sender.lastSeq;
  await waitFor('the first messages everywhere', () => clients.every((c) => c.contiguous() >= total()), 60);
  note(`${clients.length} clients joined, ${total()} messages everywhere`);

  const presenceBefore = { ...presence };
  const reconnectsBefore = clients.reduce((sum, c) => sum + c.joins, 0) - clients.length;
  storming = true;
  say({ phase: 'ready' });
  await waitFor('the drop', () => firstDrop !== null, 120);
  await waitFor('the server back up', () => firstBack !== null, 180);
  await waitFor('the sender back', () => sender.joins >= 2, 60);
  const sending = send(sender, opt.after, opt.before);
  await waitFor('every client back', () => clients.every((c) => c.joins >= 2), 120);
  const backAt = Math.max(...clients.map((c) => c.joinedAt));
  say({ phase: 'back' });
  await sending;
  const expected = total();
  let missing = 0;
  try {
    await waitFor('every message everywhere', () => clients.every((c) => c.contiguous() >= expected), opt['catch-up-s']);
  } catch (e) {
    note(e.message);
  }
  for (const c of clients) for (let seq = 1; seq <= expected; seq++) if (!c.seqs.has(seq)) missing += 1;
  const rejoins = clients.map((c) => (c.joinedAt - firstBack) / 1000).sort((a, b) => a - b);
  say({
    clients: clients.length,
    messages: expected,
    back_s_from_first: +((backAt - firstBack) / 1000).toFixed(2),
    back_s_from_drop: +((backAt - firstDrop) / 1000).toFixed(2),
    rejoin_s_p50: +rejoins[Math.floor(rejoins.length / 2)].toFixed(2),
    rejoin_s_p99: +rejoins[Math.floor(rejoins.length * 0.99)].toFixed(2),
    reconnects_before_the_storm: reconnectsBefore,
    join_refusals: clients.reduce((sum, c) => sum + c.refusals, 0),
    join_refusals_by_code: refusals,
    missing_deliveries: missing,
    presence_events_in_storm: presence.events - presenceBefore.events,
    presence_changes_in_storm: presence.changes - presenceBefore.changes,
  });
  for (const c of clients) c.socket.close();
}

main().then(
  () => process.exit(0),
  (e) => {
    note('failed:', e.message);
    say({ error: String(e.message || e) });
    process.exit(1);
  },
);

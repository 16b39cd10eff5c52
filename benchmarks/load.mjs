#!/usr/bin/env node
// Parley fan-out load generator (Node, socket.io-client 4.8 from Parley's own node_modules).
//
//   node benchmarks/load.mjs login --url http://127.0.0.1:5000 --users 100 --out cookies.json
//   node benchmarks/load.mjs run --target parley --url http://127.0.0.1:5000 --cookies cookies.json \
//        --clients 100 --senders 10 --rate 10 --duration 20 --server-pid 1234
//   node benchmarks/load.mjs run --target reference --url http://127.0.0.1:5001 ...
//
// `login` logs users in through Parley's real /login form (GET for the CSRF token and the
// session cookie, POST the form back) and writes their session cookies to a JSON file.
// `run` connects N clients over the websocket transport (Parley: with the Cookie header of a
// logged-in user), joins one room, then S senders emit messages at a fixed open-loop schedule
// while every client times every message it receives. Parley's protocol: `join {room}` with an
// ack, `message {room, text, client_id}` with an ack, the stored message broadcast to everyone
// else in the room. The reference's (benchmarks/reference/server.js): `join <room>` with an ack,
// `chat message {room, text, ts, run, s}` broadcast to the whole room, sender included.
// One JSON line of figures goes to stdout; progress to stderr. Every phase has a deadline and
// every loop a bound; only 127.0.0.1 URLs are accepted.
import { createRequire } from 'node:module';
import { performance, monitorEventLoopDelay } from 'node:perf_hooks';
import fs from 'node:fs';
import { execSync } from 'node:child_process';

const require = createRequire(import.meta.url);
const { io } = require('socket.io-client');     // resolved from Parley's node_modules
const WebSocket = require('ws');                  // socket.io-client's own dependency

// ------------------------------------------------------------------- options
const DEFAULTS = {
  target: 'parley', url: 'http://127.0.0.1:5000', cookies: '', users: 100, 'user-prefix': 'bench',
  password: 'bench-password-1', out: '', concurrency: 16,
  clients: 100, senders: 10, rate: 10, duration: 20, steps: '', 'stop-on-fail': true,
  'fail-p99-ms': 250, payload: 100, room: 'bench', 'server-pid': '', batch: 100,
  'connect-timeout': 20000, 'connect-limit-s': 300, join: true, 'join-concurrency': 50,
  'join-timeout-s': 120, settle: 1000, drain: 5, 'ack-timeout': 10000, 'client-impl': 'official',
  'rss-at': '', hold: 0, label: '', 'max-seconds': 540, 'extra-pids-cmd': '',
  // S3 on a shared machine: a step that fails while other processes used more than this many
  // cores is run again (at most --noisy-retries times) before the ramp stops
  'noisy-cores': 0.3, 'noisy-retries': 2,
};

function parseArgs(argv) {
  const o = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (!a.startsWith('--')) throw new Error(`bad argument ${a}`);
    a = a.slice(2);
    let v;
    const eq = a.indexOf('=');
    if (eq >= 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    if (a.startsWith('no-') && typeof DEFAULTS[a.slice(3)] === 'boolean') { o[a.slice(3)] = false; continue; }
    if (!(a in DEFAULTS)) throw new Error(`unknown option --${a}`);
    if (typeof DEFAULTS[a] === 'boolean') { o[a] = v === undefined ? true : v !== 'false'; continue; }
    if (v === undefined) v = argv[++i];
    o[a] = typeof DEFAULTS[a] === 'number' ? Number(v) : v;
  }
  return o;
}

const command = process.argv[2];
if (!['login', 'run'].includes(command)) {
  process.stderr.write('usage: load.mjs login|run [--option value ...] (options: see DEFAULTS)\n');
  process.exit(2);
}
const opt = parseArgs(process.argv.slice(3));
const urls = opt.url.split(',').filter(Boolean);
for (const u of urls) {
  const host = new URL(u).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') throw new Error(`only 127.0.0.1 targets: ${u}`);
}
const now = () => performance.now();
const log = (...a) => process.stderr.write(`[load ${opt.label || opt.target}] ${a.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const r2 = (x) => (x == null || Number.isNaN(x) ? null : Math.round(x * 100) / 100);
const tStart = now();
const deadline = tStart + opt['max-seconds'] * 1000;
const emitLine = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

// Every run ends by this time, whatever happens (the orchestrator also kills on its own timeout).
setTimeout(() => {
  log('hard time limit hit');
  emitLine({ label: opt.label, error: 'hard_time_limit' });
  process.exit(3);
}, opt['max-seconds'] * 1000 + 5000).unref();

// ------------------------------------------------- /proc readers (server CPU, RSS)
let CLK_TCK = 100;
try { CLK_TCK = Number(execSync('getconf CLK_TCK').toString().trim()) || 100; } catch { /* default */ }
const basePids = String(opt['server-pid']).split(',').map(Number).filter(Boolean);
let pids = basePids;
// e.g. the PostgreSQL backends of the benchmark's database: listed again before each step
function refreshPids() {
  if (!opt['extra-pids-cmd']) return;
  try {
    const extra = execSync(opt['extra-pids-cmd'], { timeout: 10000 }).toString().split(/\s+/).map(Number).filter(Boolean);
    pids = [...basePids, ...extra.filter((p) => !basePids.includes(p))];
  } catch (e) { log('extra pids command failed', String(e).slice(0, 100)); }
}

function cpuSecondsOf(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;   // utime + stime
  } catch { return 0; }
}
function rssMBOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch { return 0; }
}
const serverCpu = () => (pids.length ? pids.reduce((a, p) => a + cpuSecondsOf(p), 0) : null);
const serverRss = () => (pids.length ? r2(pids.reduce((a, p) => a + rssMBOf(p), 0)) : null);
function hostCpu() {                       // per-CPU [busy, total] jiffies from /proc/stat
  const out = {};
  for (const line of fs.readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    out[`cpu${m[1]}`] = [total - v[3] - v[4], total];
  }
  return out;
}
function hostBusy(h0, h1) {
  const out = {};
  for (const k of Object.keys(h1)) {
    const dt = h1[k][1] - (h0[k] || [0, 0])[1];
    out[k] = dt > 0 ? r2((h1[k][0] - h0[k][0]) / dt) : null;
  }
  return out;
}
function pct(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
function summarize(arr) {
  const s = Float64Array.from(arr).sort();
  return { p50: r2(pct(s, 50)), p90: r2(pct(s, 90)), p99: r2(pct(s, 99)), max: r2(s.length ? s[s.length - 1] : null), n: s.length };
}

// ====================================================================== login
function cookieFrom(setCookies, name = 'session') {
  for (const c of setCookies) {
    const first = c.split(';')[0];
    if (first.startsWith(`${name}=`)) return first;
  }
  return null;
}
const CSRF_RES = [/name="csrf_token" type="hidden" value="([^"]+)"/, /name="csrf_token" value="([^"]+)"/];

async function loginOne(base, username, password) {
  const page = await fetch(`${base}/login`, { redirect: 'manual', signal: AbortSignal.timeout(20000) });
  const html = await page.text();
  const pre = cookieFrom(page.headers.getSetCookie());
  const token = CSRF_RES.map((re) => re.exec(html)).find(Boolean);
  if (!token || !pre) throw new Error(`no CSRF token or session cookie on /login (${page.status})`);
  const body = new URLSearchParams({ username, password, csrf_token: token[1] });
  const res = await fetch(`${base}/login`, {
    method: 'POST', redirect: 'manual', body, signal: AbortSignal.timeout(20000),
    headers: { Cookie: pre, 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  await res.arrayBuffer();
  const cookie = cookieFrom(res.headers.getSetCookie());
  if (res.status !== 302 || !cookie) throw new Error(`login ${username}: HTTP ${res.status}`);
  return cookie;
}

async function loginMain() {
  const n = opt.users;
  const names = Array.from({ length: n }, (_, i) => `${opt['user-prefix']}${String(i).padStart(5, '0')}`);
  const out = new Array(n).fill(null);
  const failures = {};
  let next = 0;
  const t0 = now();
  const cpu0 = serverCpu();
  async function worker(w) {
    while (next < n && now() < deadline) {
      const i = next++;
      const base = urls[(i + w) % urls.length];
      try { out[i] = { username: names[i], cookie: await loginOne(base, names[i], opt.password) }; }
      catch (e) { const k = String(e.message || e).slice(0, 80); failures[k] = (failures[k] || 0) + 1; }
    }
  }
  await Promise.all(Array.from({ length: Math.min(opt.concurrency, n) }, (_, w) => worker(w)));
  const ms = now() - t0;
  const ok = out.filter(Boolean);
  if (opt.out) fs.writeFileSync(opt.out, JSON.stringify({ url: opt.url, users: ok }));
  const cpu = serverCpu();
  emitLine({
    label: opt.label, logins: ok.length, login_failures: failures, login_ms: Math.round(ms),
    logins_per_s: r2(ok.length / (ms / 1000)),
    server_cpu_ms_per_login: cpu0 == null || !ok.length ? null : r2(((cpu - cpu0) * 1000) / ok.length),
  });
}

// ============================================================ socket clients
const nonce = Math.random().toString(36).slice(2, 8);
const text = 'x'.repeat(Math.max(1, opt.payload));

// A minimal Engine.IO 4 / Socket.IO 5 client over a raw `ws` socket, for receive-mostly
// clients when thousands must fit in one load-generator process: same callback shape as
// socket.io-client for what is used here (on, emit with an ack, close).
function liteSocket(url, headers, timeoutMs) {
  const u = new URL(url);
  const wsUrl = `ws://${u.host}/socket.io/?EIO=4&transport=websocket`;
  const handlers = {};
  const acks = new Map();
  let ackId = 0, up = false, closedByUs = false;
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false, headers, handshakeTimeout: timeoutMs });
  const fire = (ev, ...a) => { const h = handlers[ev]; if (h) h(...a); };
  ws.on('message', (data) => {
    const str = data.toString();
    const t = str.charCodeAt(0);
    if (t === 52) {                                   // '4' message
      const st = str.charCodeAt(1);
      let i = 2;
      while (i < str.length && str.charCodeAt(i) >= 48 && str.charCodeAt(i) <= 57) i++;
      if (st === 50) {                                // '2' EVENT
        const arr = JSON.parse(str.slice(i));
        fire(arr[0], arr[1]);
      } else if (st === 51) {                         // '3' ACK
        const cb = acks.get(Number(str.slice(2, i)));
        if (cb) { acks.delete(Number(str.slice(2, i))); cb(...JSON.parse(str.slice(i) || '[]')); }
      } else if (st === 48) { up = true; fire('connect'); }                 // '0' CONNECT
      else if (st === 52) fire('connect_error', new Error(`refused: ${str.slice(2, 100)}`)); // CONNECT_ERROR
      else if (st === 49) { fire('disconnect', 'io server disconnect'); ws.terminate(); }
    } else if (t === 50) ws.send('3');                // ping -> pong
    else if (t === 48) ws.send('40');                 // open -> connect to namespace "/"
    else if (t === 49) { fire('disconnect', 'transport close'); ws.terminate(); }
  });
  ws.on('error', (e) => { if (!up) fire('connect_error', e); });
  ws.on('close', () => { if (up && !closedByUs) fire('disconnect', 'transport close'); up = false; });
  return {
    on(ev, h) { handlers[ev] = h; },
    emit(ev, arg, ack) {
      if (ws.readyState !== 1) return;
      if (typeof ack === 'function') { const id = ackId++; acks.set(id, ack); ws.send(`42${id}${JSON.stringify([ev, arg])}`); }
      else ws.send(`42${JSON.stringify([ev, arg])}`);
    },
    close() {
      closedByUs = true;
      try { ws.close(); } catch { /* gone */ }
      setTimeout(() => { try { ws.terminate(); } catch { /* gone */ } }, 200).unref();
    },
  };
}

const clients = [];
let connected = 0, connectFailures = 0, disconnects = 0;
const failReasons = {}, discReasons = {};
const parley = opt.target === 'parley';
const sendTimes = new Map();            // client_id (parley) -> send time
let current = null;                     // the step being measured: counters and latencies
let lateDeliveries = 0, foreignEvents = 0;

function onDelivery(c, m) {
  const t = now();
  let step, t0;
  if (parley) {
    if (!m || typeof m.client_id !== 'string' || !m.client_id.startsWith(nonce)) { foreignEvents++; return; }
    t0 = sendTimes.get(m.client_id);
    step = Number(m.client_id.split('.')[1]);
  } else {
    if (!m || m.run !== nonce) { foreignEvents++; return; }
    t0 = m.ts; step = m.step;
  }
  if (!current || step !== current.index || t0 === undefined) { lateDeliveries++; return; }
  current.received++;
  current.lat.push(t - t0);
}

function makeClient(idx, cookie) {
  return new Promise((resolve) => {
    const url = urls[idx % urls.length];
    const lite = opt['client-impl'] === 'lite' && idx >= opt.senders;
    const headers = cookie ? { Cookie: cookie } : {};
    const sock = lite ? liteSocket(url, headers, opt['connect-timeout']) : io(url, {
      transports: ['websocket'], forceNew: true, multiplex: false, reconnection: false,
      timeout: opt['connect-timeout'], extraHeaders: headers, perMessageDeflate: false,
    });
    const c = { idx, sock, lite, connected: false, joined: false };
    let settled = false;
    const done = (ok, why) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (ok) { connected++; c.connected = true; clients.push(c); }
      else { connectFailures++; failReasons[why] = (failReasons[why] || 0) + 1; try { sock.close(); } catch { /* */ } }
      resolve(ok);
    };
    const timer = setTimeout(() => done(false, 'timeout'), opt['connect-timeout'] + 1000);
    sock.on('connect', () => done(true));
    sock.on('connect_error', (e) => done(false, String((e && e.message) || e).slice(0, 80)));
    sock.on('disconnect', (reason) => {
      if (c.connected) { disconnects++; connected--; c.connected = false; discReasons[reason] = (discReasons[reason] || 0) + 1; }
    });
    sock.on(parley ? 'message' : 'chat message', (m) => onDelivery(c, m));
  });
}

function join(c) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), opt['ack-timeout'] * 3);
    const cb = (ack) => {
      clearTimeout(timer);
      c.joined = parley ? Boolean(ack && ack.ok) : true;
      resolve(c.joined);
    };
    if (parley) c.sock.emit('join', { room: opt.room }, cb);
    else c.sock.emit('join', opt.room, cb);
  });
}

// One measured step: `total` messages/s spread over the senders for `seconds`, then a drain.
async function step(index, senders, total, seconds, members) {
  const S = senders.length;
  const perSender = total / S;
  const expectedPer = parley ? members - 1 : members;   // Parley skips the sender; the reference echoes
  const st = current = {
    index, received: 0, lat: [], sent: 0, acksOk: 0, ackErrors: {}, ackLat: [], pendingAcks: 0,
  };
  const counts = new Array(S).fill(0);
  refreshPids();
  const cpu0 = serverCpu(), cpuBy0 = pids.map(cpuSecondsOf), h0 = hostCpu(), lg0 = process.cpuUsage();
  const eld = monitorEventLoopDelay({ resolution: 5 });
  eld.enable();
  const t0 = now(), tEnd = t0 + seconds * 1000;
  const sendOne = (i) => {
    const c = senders[i];
    counts[i]++;
    if (!c.connected) { st.ackErrors.disconnected = (st.ackErrors.disconnected || 0) + 1; st.sent++; return; }
    st.sent++;
    const ts = now();
    if (parley) {
      const id = `${nonce}.${index}.${i}.${counts[i]}`;
      sendTimes.set(id, ts);
      st.pendingAcks++;
      c.sock.timeout(opt['ack-timeout']).emit('message', { room: opt.room, text, client_id: id }, (err, ack) => {
        st.pendingAcks--;
        if (err) st.ackErrors.timeout = (st.ackErrors.timeout || 0) + 1;
        else if (ack && ack.ok) { st.acksOk++; st.ackLat.push(now() - ts); }
        else { const k = (ack && ack.error && ack.error.code) || 'bad_ack'; st.ackErrors[k] = (st.ackErrors[k] || 0) + 1; }
      });
    } else {
      c.sock.emit('chat message', { room: opt.room, text, ts, run: nonce, s: c.idx, step: index });
    }
  };
  await new Promise((resolve) => {
    const tick = () => {
      const t = now();
      const el = (Math.min(t, tEnd) - t0) / 1000;
      for (let i = 0; i < S; i++) {
        const target = Math.floor(el * perSender + i / S);
        let guard = 0;
        while (counts[i] < target && guard++ < 10000) sendOne(i);
      }
      if (t >= tEnd || t > deadline) resolve(); else setTimeout(tick, 1);
    };
    setTimeout(tick, 1);
  });
  const expected = () => st.sent * expectedPer;
  const td = now();
  while ((st.received < expected() || st.pendingAcks > 0) && now() - td < opt.drain * 1000) await sleep(10);
  const tDone = now();
  const cpu1 = serverCpu(), h1 = hostCpu(), lg = process.cpuUsage(lg0);
  eld.disable();
  current = null;
  if (parley) sendTimes.clear();
  const wall = (tDone - t0) / 1000;
  const serverCpuS = cpu0 == null ? null : cpu1 - cpu0;
  const lgCpu = (lg.user + lg.system) / 1e6;
  const lat = summarize(st.lat);
  const exp = expected();
  const hostCores = Object.values(h1).length;
  const hostBusyAll = Object.keys(h1).reduce((a, k) => a + (h1[k][0] - h0[k][0]), 0) / CLK_TCK;
  const result = {
    step: index, total_rate: total, senders: S, rate_per_sender: r2(perSender), duration_s: seconds,
    room_members: members, sent: st.sent, deliveries_expected: exp, deliveries: st.received,
    loss_pct: exp ? r2((100 * (exp - st.received)) / exp) : null,
    deliveries_per_s: Math.round(st.received / seconds),
    latency_ms: lat,
    server_cpu_s: r2(serverCpuS),
    server_cpu_util: serverCpuS == null ? null : r2(serverCpuS / wall),
    server_cpu_ms_per_1k_deliveries: serverCpuS == null || !st.received ? null : r2((serverCpuS * 1e6) / st.received),
    server_cpu_s_by_pid: pids.length > 1 ? Object.fromEntries(pids.map((p, k) => [p, r2(cpuSecondsOf(p) - cpuBy0[k])])) : undefined,
    loadgen_cpu_s: r2(lgCpu), loadgen_cpu_util: r2(lgCpu / wall),
    loadgen_loop_delay_ms: { p99: r2(eld.percentile(99) / 1e6), max: r2(eld.max / 1e6) },
    host_cpu_busy: hostBusy(h0, h1),
    foreign_cpu_cores: r2((hostBusyAll - (serverCpuS || 0) - lgCpu) / wall),
    window_s: r2(wall), host_cores: hostCores,
  };
  if (parley) {
    result.acks_ok = st.acksOk;
    result.ack_errors = st.ackErrors;
    result.ack_latency_ms = summarize(st.ackLat);
  }
  return result;
}

async function runMain() {
  let cookies = [];
  if (parley) {
    if (!opt.cookies) throw new Error('--cookies is needed for --target parley (make it with `login`)');
    cookies = JSON.parse(fs.readFileSync(opt.cookies, 'utf8')).users.map((u) => u.cookie);
    if (!cookies.length) throw new Error('no cookies in ' + opt.cookies);
  }
  const rssMarks = String(opt['rss-at']).split(',').filter(Boolean).map(Number).sort((a, b) => a - b);
  const rssAt = { 0: serverRss() };
  // ---- connect in batches
  const tc = now();
  const connectTimes = [];
  let stopped = false;
  for (let i = 0; i < opt.clients; i += opt.batch) {
    const n = Math.min(opt.batch, opt.clients - i);
    const ps = [];
    for (let k = 0; k < n; k++) ps.push(makeClient(i + k, parley ? cookies[(i + k) % cookies.length] : null));
    const tb = now();
    await Promise.all(ps);
    connectTimes.push(now() - tb);
    while (rssMarks.length && connected >= rssMarks[0]) { await sleep(200); rssAt[rssMarks.shift()] = serverRss(); }
    if (now() - tc > opt['connect-limit-s'] * 1000 || now() > deadline - 60000) { stopped = true; log('connect time limit reached'); break; }
    if (connectFailures > Math.max(50, opt.clients * 0.2)) { stopped = true; log('too many connect failures'); break; }
  }
  const connectMs = now() - tc;
  log(`connected ${connected}/${opt.clients} in ${Math.round(connectMs)} ms, failures ${connectFailures}`);
  const base = {
    label: opt.label, target: opt.target, urls, client_impl: opt['client-impl'], clients_target: opt.clients,
    clients_connected: connected, connect_failures: connectFailures, connect_fail_reasons: failReasons,
    connect_ms: Math.round(connectMs), connects_per_s: r2(connected / (connectMs / 1000)),
    connect_stopped_early: stopped, users: parley ? Math.min(cookies.length, opt.clients) : null,
  };
  // ---- join
  let members = 0;
  if (opt.join && connected > 0) {
    const tj = now();
    const live = clients.filter((c) => c.connected);
    let next = 0;
    const joinDeadline = tj + opt['join-timeout-s'] * 1000;
    const worker = async () => { while (next < live.length && now() < joinDeadline) await join(live[next++]); };
    await Promise.all(Array.from({ length: opt['join-concurrency'] }, worker));
    members = clients.filter((c) => c.joined && c.connected).length;
    Object.assign(base, { joined: members, join_ms: Math.round(now() - tj), joins_per_s: r2(members / ((now() - tj) / 1000)) });
    log(`joined ${members} in ${Math.round(now() - tj)} ms`);
    await sleep(opt.settle);
  }
  // ---- send steps
  const steps = [];
  const senders = clients.filter((c) => !c.lite && c.connected && (c.joined || !opt.join))
    .sort((a, b) => a.idx - b.idx).slice(0, opt.senders);
  const rates = opt.steps ? String(opt.steps).split(',').map(Number) : (opt.senders > 0 && opt.rate > 0 ? [opt.senders * opt.rate] : []);
  if (senders.length && opt.duration > 0) {
    for (let k = 0; k < rates.length; k++) {
      if (now() + (opt.duration + opt.drain + 5) * 1000 > deadline) { log('no time left for more steps'); break; }
      const memberNow = clients.filter((c) => c.joined && c.connected).length || members;
      let r, failed, tries = 0;
      for (;;) {
        r = await step(k + tries * 1000, senders, rates[k], opt.duration, memberNow);
        r.step = k;
        failed = r.loss_pct > 0 || r.latency_ms.p99 == null || r.latency_ms.p99 >= opt['fail-p99-ms'];
        log(`step ${k}: ${rates[k]} msg/s -> ${r.deliveries_per_s} deliveries/s, p99 ${r.latency_ms.p99} ms, loss ${r.loss_pct}%, foreign ${r.foreign_cpu_cores} cores`);
        if (!(opt.steps && failed && r.foreign_cpu_cores > opt['noisy-cores'] && tries < opt['noisy-retries'])) break;
        if (now() + (opt.duration + opt.drain + 5) * 1000 > deadline) break;
        tries++;
        log(`step ${k} failed while the machine was busy with other work: running it again (${tries})`);
        await sleep(opt.settle);
      }
      r.tries = tries + 1;
      steps.push(r);
      if (opt.steps && opt['stop-on-fail'] && failed) break;
      if (k < rates.length - 1) await sleep(opt.settle);
    }
  }
  // ---- hold (idle sockets)
  if (opt.hold > 0) {
    const th = now();
    while (now() - th < opt.hold * 1000 && now() < deadline - 10000) await sleep(250);
    base.held_s = r2((now() - th) / 1000);
    base.alive_after_hold = connected;
  }
  rssAt.end = serverRss();
  const mem = process.memoryUsage();
  emitLine({
    ...base, ...(steps.length === 1 && !opt.steps ? steps[0] : {}), steps: opt.steps ? steps : undefined,
    disconnects, disconnect_reasons: discReasons, late_deliveries: lateDeliveries, foreign_events: foreignEvents,
    server_rss_mb_at: rssAt, loadgen_rss_mb: r2(mem.rss / 1048576), total_ms: Math.round(now() - tStart),
  });
}

function shutdown(code) {
  for (const c of clients) { try { c.sock.close(); } catch { /* */ } }
  setTimeout(() => process.exit(code), 500).unref();
}

(command === 'login' ? loginMain() : runMain())
  .then(() => shutdown(0))
  .catch((e) => { log('fatal', (e && e.stack) || e); emitLine({ label: opt.label, error: String(e) }); shutdown(1); });

// The session (static/js/session.js): a join on every connect with `since` and
// `since_rev`, only the newest join counts, a busy server is retried with back-off,
// a refusal is final, and a page that cannot catch up starts over.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

import { Session } from '../../static/js/session.js';
import { Timeline } from '../../static/js/timeline.js';
import { RevTracker } from '../../static/js/revs.js';

const JOINED = (lastSeq, extra = {}) => ({
  ok: true, members: [], messages: [], has_more: false, last_seq: lastSeq, last_rev: 9, changed: [], ...extra,
});
const NO = (code) => ({ ok: false, error: { code, message: 'Said the server: ' + code } });

// A socket.io client stand-in: `joins` holds each join's payload and ack callback.
function fakeSocket() {
  const socket = { connected: true, active: true, handlers: {}, joins: [] };
  socket.on = (event, handler) => { socket.handlers[event] = handler; };
  socket.timeout = () => ({ emit: (event, payload, callback) => socket.joins.push({ event, payload, callback }) });
  socket.fire = (event, arg) => socket.handlers[event](arg);
  return socket;
}

let socket;
let seen;
let session;
let revs;
beforeEach((t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  socket = fakeSocket();
  seen = { status: [], joined: [], refused: [], startedOver: 0, left: 0 };
  const timeline = new Timeline('general', { lastSeq: 4 });
  revs = new RevTracker(7);
  session = new Session(socket, 'general', { timeline, revs }, {
    onStatus: (kind, text) => seen.status.push([kind, text]),
    onJoined: (ack) => seen.joined.push(ack),
    onRefused: (message) => seen.refused.push(message),
    onStartOver: () => { seen.startedOver += 1; },
    onLeft: () => { seen.left += 1; },
  });
});

// Answers the `n`th join and lets the session's await go on.
async function answer(n, ack) {
  socket.joins[n].callback(null, ack);
  await new Promise((resolve) => setImmediate(resolve));
}

test('each connect joins with since = the contiguous seq and since_rev = the last rev, and the ack makes the page online', async () => {
  socket.fire('connect');
  assert.deepEqual(socket.joins[0].payload, { room: 'general', since: 4, since_rev: 7 });
  assert.equal(session.online(), false);
  await answer(0, JOINED(6));
  assert.equal(session.online(), true);
  assert.equal(revs.last, 9, "the ack's last_rev becomes the page's");
  assert.deepEqual(seen.status.at(-1), ['online', 'online']);
  assert.equal(seen.joined.length, 1);
});

test('the answer to a join from before a reconnect is dropped', async () => {
  socket.fire('connect');
  socket.fire('disconnect', 'transport close');
  assert.equal(seen.left, 1);
  assert.deepEqual(seen.status.at(-1), ['reconnecting', 'you are offline, reconnecting…']);
  socket.fire('connect');
  await answer(0, JOINED(4));
  assert.equal(seen.joined.length, 0);
  await answer(1, JOINED(4));
  assert.equal(seen.joined.length, 1);
});

test('a busy server is asked again after 1 s, then 2 s', async (t) => {
  socket.fire('connect');
  await answer(0, NO('unavailable'));
  assert.deepEqual(seen.status.at(-1), ['reconnecting', 'server busy: retrying in 1s…']);
  t.mock.timers.tick(1000);
  await answer(1, NO('timeout'));
  t.mock.timers.tick(1999);
  assert.equal(socket.joins.length, 2);
  t.mock.timers.tick(1);
  assert.equal(socket.joins.length, 3);
});

test('a refusal is final and said', async () => {
  socket.fire('connect');
  await answer(0, NO('not_found'));
  assert.deepEqual(seen.status.at(-1), ['offline', 'offline: Said the server: not_found']);
  assert.deepEqual(seen.refused, ['Said the server: not_found']);
  assert.equal(session.joined, false);
});

test('a room whose history is shorter than what the page holds makes the page start over', async () => {
  socket.fire('connect');
  await answer(0, JOINED(2));
  assert.equal(seen.startedOver, 1);
  assert.equal(session.joined, false);
});

test('more changes than a join lists make the page start over, without taking the rev', async () => {
  socket.fire('connect');
  await answer(0, JOINED(6, { last_rev: 900, changes_truncated: true }));
  assert.equal(seen.startedOver, 1);
  assert.equal(seen.joined.length, 0);
  assert.equal(revs.last, 7);
});

test('the next join after a reconnect resumes from the rev the last one gave', async () => {
  socket.fire('connect');
  await answer(0, JOINED(4, { last_rev: 12 }));
  socket.fire('disconnect', 'transport close');
  socket.fire('connect');
  assert.deepEqual(socket.joins[1].payload, { room: 'general', since: 4, since_rev: 12 });
});

test('a connection the server refuses (not the network) says so', () => {
  socket.active = false;
  socket.fire('connect_error', new Error('unauthorized'));
  assert.deepEqual(seen.status.at(-1), ['offline', 'offline: unauthorized. Log in again, then reload.']);
});

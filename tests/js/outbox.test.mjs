// The outbox's rules (static/js/outbox.js): one send at a time, oldest first; the
// same client_id on every attempt; back-off on no answer, `unavailable` and
// `rate_limited`; rejoin once on `not_joined`; what goes again after a join.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

import { Outbox, MAX_SEND_ATTEMPTS, MAX_RATE_RETRIES } from '../../static/js/outbox.js';

const OK = (seq) => ({ ok: true, message: { room: 'general', seq }, duplicate: false });
const NO = (code, message = code) => ({ ok: false, error: { code, message } });

// Lets the outbox's `.then` on an answered attempt run.
const settled = () => new Promise((resolve) => setImmediate(resolve));

// An outbox on a fake connection: `sent` holds every attempt, and `answer` replies
// to the latest one.
function fixture() {
  const world = { online: true, sent: [], stored: [], rejoins: 0, ids: 0 };
  world.outbox = new Outbox({
    room: 'general',
    transmit: (payload) => new Promise((resolve) => world.sent.push({ payload, resolve })),
    isOnline: () => world.online,
    onSent: (entry, message) => world.stored.push([entry.text, message.seq]),
    onRejoin: () => { world.rejoins += 1; },
    newId: () => 'c' + (world.ids += 1),
  });
  world.answer = async (ack) => {
    world.sent.at(-1).resolve(ack);
    await settled();
  };
  world.ids_sent = () => world.sent.map((attempt) => attempt.payload.client_id);
  return world;
}

let world;
beforeEach((t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  t.mock.method(Math, 'random', () => 0);   // no jitter
  world = fixture();
});

test('the payload is the contract\'s message event, with a client_id chosen once', () => {
  const entry = world.outbox.send('hello');
  assert.deepEqual(world.sent[0].payload, { room: 'general', text: 'hello', client_id: 'c1' });
  assert.equal(entry.phase, 'inflight');
});

test('a reply carries reply_to, on every attempt', async (t) => {
  world.outbox.send('me too', 12);
  await world.answer(NO('unavailable'));
  t.mock.timers.tick(1000);
  assert.deepEqual(world.sent.map((a) => a.payload), [
    { room: 'general', text: 'me too', client_id: 'c1', reply_to: 12 },
    { room: 'general', text: 'me too', client_id: 'c1', reply_to: 12 },
  ]);
});

test('one message is on its way at a time, oldest first', async () => {
  world.outbox.send('one');
  world.outbox.send('two');
  assert.equal(world.sent.length, 1);
  await world.answer(OK(1));
  assert.deepEqual(world.stored, [['one', 1]]);
  assert.deepEqual(world.sent.map((a) => a.payload.text), ['one', 'two']);
  await world.answer(OK(2));
  assert.equal(world.outbox.entries().length, 0);
});

test('no answer: the same client_id again after 1, 2, 4, 8, 16 s, then failed until the next join', async (t) => {
  const entry = world.outbox.send('hello');
  for (const delay of [1000, 2000, 4000, 8000, 16000]) {
    await world.answer(NO('timeout'));
    assert.equal(entry.phase, 'waiting');
    const attempts = world.sent.length;
    t.mock.timers.tick(delay - 1);
    assert.equal(world.sent.length, attempts, `nothing before ${delay} ms`);
    t.mock.timers.tick(1);
    assert.equal(world.sent.length, attempts + 1);
  }
  await world.answer(NO('unavailable', 'Storage is down.'));
  assert.equal(world.sent.length, MAX_SEND_ATTEMPTS);
  assert.equal(entry.phase, 'failed');
  assert.equal(entry.retriable, true);
  assert.match(entry.error, /Storage is down/);
  assert.deepEqual(new Set(world.ids_sent()), new Set(['c1']), 'every attempt with the first client_id');
});

test('rate_limited: waits a little longer each time, same client_id, gives up after the budget', async (t) => {
  const entry = world.outbox.send('fast');
  await world.answer(NO('rate_limited'));
  t.mock.timers.tick(499);
  assert.equal(world.sent.length, 1);
  t.mock.timers.tick(1);
  assert.equal(world.sent.length, 2);
  await world.answer(NO('rate_limited'));
  t.mock.timers.tick(999);
  assert.equal(world.sent.length, 2);
  t.mock.timers.tick(1);
  for (let n = 3; n <= MAX_RATE_RETRIES; n += 1) {
    await world.answer(NO('rate_limited'));
    t.mock.timers.tick(5000);
  }
  await world.answer(NO('rate_limited'));
  assert.equal(world.sent.length, MAX_RATE_RETRIES + 1);
  assert.equal(entry.phase, 'failed');
  assert.equal(entry.retriable, true);
  assert.deepEqual(new Set(world.ids_sent()), new Set(['c1']));
});

test('not_joined: asks for a join once and resends after it; a second one is final', async () => {
  const entry = world.outbox.send('hello');
  await world.answer(NO('not_joined'));
  assert.equal(world.rejoins, 1);
  assert.equal(entry.phase, 'queued');
  world.outbox.resume();
  assert.deepEqual(world.ids_sent(), ['c1', 'c1']);
  await world.answer(NO('not_joined', 'Join the room first.'));
  assert.equal(world.rejoins, 1);
  assert.equal(entry.phase, 'failed');
  assert.equal(entry.retriable, false);
});

test('a refusal is final, is not resent after a join, and does not hold up the next message', async () => {
  const refused = world.outbox.send('x'.repeat(5000));
  world.outbox.send('short');
  await world.answer(NO('too_long', 'Too long.'));
  assert.equal(refused.phase, 'failed');
  assert.equal(refused.error, 'Too long.');
  assert.equal(world.sent.at(-1).payload.text, 'short');
  await world.answer(OK(1));
  world.outbox.resume();
  assert.equal(world.sent.length, 2);
  world.outbox.settle(refused.id);   // discarded
  assert.equal(refused.phase, 'gone');
});

test('a disconnect requeues what was on its way; its late answer is ignored; the join resends it', async () => {
  const entry = world.outbox.send('hello');
  world.online = false;
  world.outbox.disconnected();
  assert.equal(entry.phase, 'queued');
  await world.answer(OK(1));
  assert.deepEqual(world.stored, [], 'the answer to the old attempt does not count');
  world.online = true;
  world.outbox.resume();
  assert.deepEqual(world.ids_sent(), ['c1', 'c1']);
  await world.answer(OK(1));
  assert.deepEqual(world.stored, [['hello', 1]]);
});

test('offline, messages wait in order and go out after the join, each with its own id', async () => {
  world.online = false;
  const first = world.outbox.send('one');
  world.outbox.send('two');
  assert.equal(first.note, 'waiting for the connection…');
  assert.equal(world.sent.length, 0);
  world.online = true;
  world.outbox.resume();
  await world.answer(OK(1));
  await world.answer(OK(2));
  assert.deepEqual(world.ids_sent(), ['c1', 'c2']);
  assert.deepEqual(world.stored, [['one', 1], ['two', 2]]);
});

test('a failed message goes again on Retry, or after a join, with a fresh budget', async (t) => {
  const entry = world.outbox.send('hello');
  for (let n = 1; n < MAX_SEND_ATTEMPTS; n += 1) {
    await world.answer(NO('timeout'));
    t.mock.timers.tick(16000);
  }
  await world.answer(NO('timeout'));
  assert.equal(entry.phase, 'failed');
  world.outbox.retry(entry.id);
  assert.equal(entry.phase, 'inflight');
  assert.equal(entry.attempts, 0);
  await world.answer(NO('timeout'));
  world.outbox.resume();   // a join meanwhile: no need to wait out the back-off
  assert.equal(entry.phase, 'inflight');
  assert.deepEqual(new Set(world.ids_sent()), new Set(['c1']));
});

test('the stored copy arriving another way settles the pending one; a late answer is ignored', async () => {
  const entry = world.outbox.send('hello');
  const changes = [];
  world.outbox.onChange = (e) => changes.push(e.phase);
  assert.equal(world.outbox.settle('c1'), true);
  assert.equal(world.outbox.settle('c1'), false);
  assert.equal(entry.phase, 'gone');
  await world.answer(OK(1));
  assert.deepEqual(world.stored, []);
  assert.deepEqual(changes, ['gone']);
});

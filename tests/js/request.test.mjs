// request() (static/js/request.js): every outcome of an emit with an ack becomes
// one ack-shaped object.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { request, errorText, ACK_TIMEOUT_MS } from '../../static/js/request.js';

// A socket whose emit answers with (err, ack) at once, and records what it was asked.
function socket(connected, err, ack) {
  const calls = [];
  return {
    calls,
    connected,
    timeout: (ms) => ({
      emit: (event, payload, callback) => {
        calls.push({ ms, event, payload });
        callback(err, ack);
      },
    }),
  };
}

test('an answer is passed on as it is, after an emit with the timeout', async () => {
  const s = socket(true, null, { ok: true, messages: [] });
  assert.deepEqual(await request(s, 'history', { room: 'general' }, { timeout: 1234 }), { ok: true, messages: [] });
  assert.deepEqual(s.calls, [{ ms: 1234, event: 'history', payload: { room: 'general' } }]);
  await request(s, 'typing', {});
  assert.equal(s.calls[1].ms, ACK_TIMEOUT_MS);
});

test('offline, no answer in time, and a malformed answer get codes of their own', async () => {
  const cases = [
    [socket(false), 'offline'],
    [socket(true, new Error('timeout')), 'timeout'],
    [socket(true, null, 'yes'), 'bad_response'],
    [socket(true, null, null), 'bad_response'],
  ];
  for (const [s, code] of cases) {
    const ack = await request(s, 'join', { room: 'general' });
    assert.equal(ack.ok, false);
    assert.equal(ack.error.code, code);
  }
  assert.deepEqual(cases[0][0].calls, [], 'nothing is emitted while disconnected');
});

test('errorText prefers the server\'s words', () => {
  assert.equal(errorText({ ok: false, error: { code: 'x', message: 'Nope.' } }, 'fallback'), 'Nope.');
  assert.equal(errorText({ ok: false }, 'fallback'), 'fallback');
});

// Last-seen seqs and unread badges (static/js/seen.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { readSeen, writeSeen, unreadBadge } from '../../static/js/seen.js';

function memoryStorage() {
  const items = new Map();
  return { getItem: (k) => (items.has(k) ? items.get(k) : null), setItem: (k, v) => items.set(k, v) };
}

test('the last-seen seq only moves forward, per user and room', () => {
  const storage = memoryStorage();
  assert.equal(readSeen('ada', 'general', storage), null);
  writeSeen('ada', 'general', 5, storage);
  writeSeen('ada', 'general', 3, storage);
  assert.equal(readSeen('ada', 'general', storage), 5);
  assert.equal(readSeen('bob', 'general', storage), null);
});

test('disabled storage means no markers, not an error', () => {
  const broken = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('denied'); } };
  assert.equal(readSeen('ada', 'general', broken), null);
  assert.doesNotThrow(() => writeSeen('ada', 'general', 1, broken));
});

test('the badge counts what is unread, up to 99+', () => {
  assert.equal(unreadBadge(5, 5), null);
  assert.equal(unreadBadge(0, null), null);
  assert.deepEqual(unreadBadge(3, 2), { text: '1', label: '1 unread message' });
  assert.deepEqual(unreadBadge(4, null), { text: '4', label: '4 unread messages' });
  assert.equal(unreadBadge(250, 10).text, '99+');
});

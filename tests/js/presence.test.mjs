// Presence events as the client reads them (static/js/presence.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { presenceChanges, DirectPresence } from '../../static/js/presence.js';

test('a tick\'s changes are read in order, for the room asked about only', () => {
  const ev = { room: 'general', changes: [{ username: 'ada', online: true }, { username: 'bob', online: false }] };
  assert.deepEqual(presenceChanges(ev, 'general'), ev.changes);
  assert.deepEqual(presenceChanges(ev, 'random'), []);
  assert.deepEqual(presenceChanges(ev), ev.changes);
});

test('malformed events and changes are ignored, never thrown on', () => {
  for (const ev of [null, 'x', {}, { room: 'general' }, { room: 'general', changes: 'no' }, { room: 1, changes: [] }]) {
    assert.deepEqual(presenceChanges(ev, 'general'), []);
  }
  // The one-user shape of old is not read as a change.
  assert.deepEqual(presenceChanges({ room: 'general', username: 'ada', online: true }), []);
  const mixed = { room: 'general', changes: [null, { username: '' , online: true }, { username: 'ada', online: 'yes' }, { username: 'bob', online: true }] };
  assert.deepEqual(presenceChanges(mixed, 'general'), [{ username: 'bob', online: true }]);
});

test('a direct room is lit while any other person is online, whatever the reader does', () => {
  const dms = new DirectPresence();
  dms.seed('dm-1-2', []);
  assert.equal(dms.anyoneOnline('dm-1-2'), false);
  assert.equal(dms.apply({ room: 'dm-1-2', changes: [{ username: 'ada', online: true }] }, 'ada'), false, 'the reader is not the other person');
  assert.equal(dms.anyoneOnline('dm-1-2'), false);
  assert.equal(dms.apply({ room: 'dm-1-2', changes: [{ username: 'bob', online: true }] }, 'ada'), true);
  assert.equal(dms.anyoneOnline('dm-1-2'), true);
  dms.apply({ room: 'dm-1-2', changes: [{ username: 'bob', online: false }] }, 'ada');
  assert.equal(dms.anyoneOnline('dm-1-2'), false);
  assert.equal(dms.anyoneOnline('dm-9-9'), false, 'a room never heard of is not lit');
});

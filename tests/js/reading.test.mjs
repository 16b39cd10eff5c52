// When the open room counts as read (static/js/reading.js): visible, at the bottom,
// forward only, one ask per seq; and where the "new messages" divider goes.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ReadMarker, firstUnread } from '../../static/js/reading.js';

const looking = { visible: true, atBottom: true };

test('a visible room scrolled to the bottom is read up to the newest message shown', () => {
  const marker = new ReadMarker(4);
  assert.equal(marker.target({ ...looking, newest: 7 }), 7);
});

test('a hidden tab or a reader scrolled up reads nothing', () => {
  const marker = new ReadMarker(4);
  assert.equal(marker.target({ visible: false, atBottom: true, newest: 7 }), 0);
  assert.equal(marker.target({ visible: true, atBottom: false, newest: 7 }), 0);
});

test('the mark only moves forward, and a seq is asked once while its answer is on the way', () => {
  const marker = new ReadMarker(7);
  assert.equal(marker.target({ ...looking, newest: 7 }), 0);
  assert.equal(marker.target({ ...looking, newest: 5 }), 0);
  assert.equal(marker.target({ ...looking, newest: 9 }), 9);
  marker.asking(9);
  assert.equal(marker.target({ ...looking, newest: 9 }), 0);
  assert.equal(marker.target({ ...looking, newest: 10 }), 10);
  marker.moved(9);
  marker.moved(3);
  assert.equal(marker.mark, 9);
});

test('a failed ask may be asked again', () => {
  const marker = new ReadMarker(2);
  marker.asking(5);
  marker.failed(5);
  assert.equal(marker.target({ ...looking, newest: 5 }), 5);
});

test('another tab reading further moves this page\'s mark', () => {
  const marker = new ReadMarker(2);
  marker.moved(8);
  assert.equal(marker.target({ ...looking, newest: 8 }), 0);
});

test('the divider goes above the first message beyond the mark written by someone else', () => {
  const list = [{ seq: 4, username: 'bob' }, { seq: 5, username: 'ada' }, { seq: 6, username: 'bob' }];
  assert.equal(firstUnread(list, 3, 'ada'), 4);
  assert.equal(firstUnread(list, 4, 'ada'), 6, "one's own messages are never unread");
  assert.equal(firstUnread(list, 6, 'ada'), 0);
});

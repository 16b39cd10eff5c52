// The rev tracker (static/js/revs.js): last_rev moves only over revs without a
// hole below them, and a join's last_rev becomes the page's.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { RevTracker } from '../../static/js/revs.js';

test('last moves over revs that arrive one after another, in any order', () => {
  const revs = new RevTracker(10);
  revs.note(12);
  revs.note(13);
  assert.equal(revs.last, 10, 'rev 11 is missing: 12 and 13 wait above the hole');
  revs.note(11);
  assert.equal(revs.last, 13);
});

test('a rev that arrives again, or one at or below last, changes nothing', () => {
  const revs = new RevTracker(5);
  for (const rev of [6, 6, 3, 5]) revs.note(rev);
  assert.equal(revs.last, 6);
  revs.note(8);
  revs.note(8);
  revs.note(7);
  assert.equal(revs.last, 8);
});

test('what is not a rev is ignored', () => {
  const revs = new RevTracker('x');
  assert.equal(revs.last, 0);
  for (const bad of [undefined, null, '1', 1.5, -1, 0]) revs.note(bad);
  assert.equal(revs.last, 0);
  revs.note(1);
  assert.equal(revs.last, 1);
});

test("a join's last_rev becomes the page's, and revs held above it still count", () => {
  const revs = new RevTracker(4);
  revs.note(9);      // live, during the join
  revs.note(11);
  revs.joined(8);    // the join read the room at 8: 5 to 8 are in its answer
  assert.equal(revs.last, 9);
  revs.note(10);
  assert.equal(revs.last, 11);
  revs.joined(7);    // an older answer never moves last back
  assert.equal(revs.last, 11);
  revs.joined(undefined);
  assert.equal(revs.last, 11);
});

test('revs dropped by the join do not come back as holes', () => {
  const revs = new RevTracker(0);
  revs.note(3);
  revs.joined(5);
  revs.note(7);
  assert.equal(revs.last, 5);
  revs.note(6);
  assert.equal(revs.last, 7);
});

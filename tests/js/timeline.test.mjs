// The timeline's rules (static/js/timeline.js): kept by seq, repeats ignored,
// highest rev wins, contiguous seq and gaps, how far back "load older" can go.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Timeline, toSeq } from '../../static/js/timeline.js';

const msg = (seq, extra = {}) => ({ room: 'general', seq, username: 'ada', text: 'm' + seq, ...extra });

function holding(seqs, options) {
  const timeline = new Timeline('general', options);
  for (const seq of seqs) timeline.upsert(msg(seq));
  return timeline;
}

test('messages are kept in seq order whatever order they arrive in', () => {
  const timeline = holding([3, 1, 5, 2, 4]);
  assert.deepEqual(timeline.seqs(), [1, 2, 3, 4, 5]);
  assert.equal(timeline.get(3).text, 'm3');
  assert.equal(timeline.size, 5);
});

test('a repeated seq changes nothing and keeps the first copy', () => {
  const timeline = holding([1, 2]);
  assert.equal(timeline.upsert(msg(2, { text: 'again' })), null);
  assert.equal(timeline.get(2).text, 'm2');
  assert.deepEqual(timeline.seqs(), [1, 2]);
});

test('per seq, the copy with the highest rev is kept; no rev counts as rev 0', () => {
  const timeline = holding([7]);
  assert.equal(timeline.upsert(msg(7, { rev: 0, text: 'rev 0' })), null);
  assert.equal(timeline.upsert(msg(7, { rev: 2, text: 'rev 2' })), 'replaced');
  assert.equal(timeline.upsert(msg(7, { rev: 1, text: 'stale' })), null);
  assert.equal(timeline.upsert(msg(7, { rev: 2, text: 'repeat' })), null);
  assert.equal(timeline.get(7).text, 'rev 2');
  assert.deepEqual(timeline.seqs(), [7]);
});

test('messages of other rooms and malformed ones are not taken', () => {
  const timeline = new Timeline('general');
  for (const bad of [null, 'text', { ...msg(1), room: 'random' }, msg(0), msg(-1), msg(1.5), msg('2')]) {
    assert.equal(timeline.accepts(bad), false, JSON.stringify(bad));
    assert.equal(timeline.upsert(bad), null);
  }
  assert.equal(timeline.size, 0);
});

test('contiguous stops at the first missing seq and moves on once it arrives', () => {
  const timeline = holding([1, 2, 4, 5]);
  assert.equal(timeline.contiguous, 2);
  assert.equal(timeline.highest, 5);
  assert.equal(timeline.hasGap(), true);
  assert.equal(timeline.upsert(msg(3)), 'added');
  assert.equal(timeline.contiguous, 5);
  assert.equal(timeline.hasGap(), false);
});

test('the page rendered up to lastSeq: contiguous starts there', () => {
  const timeline = holding([9, 10], { lastSeq: 10, firstSeq: 9 });
  assert.equal(timeline.contiguous, 10);
  timeline.upsert(msg(12));
  assert.equal(timeline.contiguous, 10);
  assert.equal(timeline.hasGap(), true);
});

test("a join's last_seq above what is held is a gap; below contiguous, the page outlived the history", () => {
  const timeline = holding([1, 2, 3]);
  timeline.noteLastSeq(2);
  assert.equal(timeline.hasGap(), false);
  timeline.noteLastSeq(6);
  assert.equal(timeline.highest, 6);
  assert.equal(timeline.hasGap(), true);
  assert.equal(timeline.outlives(3), false);
  assert.equal(timeline.outlives(1), true);
  assert.equal(timeline.outlives(undefined), false);
});

test('nextAbove names the held seq a new message goes before', () => {
  const timeline = holding([2, 5, 9]);
  assert.equal(timeline.nextAbove(1), 2);
  assert.equal(timeline.nextAbove(2), 5);
  assert.equal(timeline.nextAbove(6), 9);
  assert.equal(timeline.nextAbove(9), null);
});

test('oldest and whether older messages can be loaded', () => {
  const empty = new Timeline('general', { firstSeq: 0 });
  assert.equal(empty.oldest, 0);
  assert.equal(empty.canLoadOlder(), false);

  const timeline = holding([61, 62], { lastSeq: 62, firstSeq: 61, hasOlder: true });
  assert.equal(timeline.canLoadOlder(), true);
  for (let seq = 11; seq <= 60; seq += 1) timeline.upsert(msg(seq));
  assert.equal(timeline.oldest, 11);
  timeline.olderLoaded(true);
  assert.equal(timeline.canLoadOlder(), true);
  timeline.upsert(msg(1));
  assert.equal(timeline.canLoadOlder(), false, 'seq 1 is the first there is');
  timeline.olderLoaded(false);
  assert.equal(timeline.hasOlder, false);
});

test('toSeq reads page attributes: positive integers, else 0', () => {
  assert.deepEqual(['12', '0', '-3', 'x', undefined, '7abc'].map(toSeq), [12, 0, 0, 0, 0, 7]);
});

test('a change is taken for a held seq and above, never for one older than what is loaded', () => {
  const timeline = holding([20, 21], { lastSeq: 21, firstSeq: 20, hasOlder: true });
  assert.equal(timeline.update(msg(5, { rev: 40 })), null, 'seq 5 is not loaded: no reason to load it');
  assert.equal(timeline.get(5), undefined);
  assert.equal(timeline.oldest, 20);
  assert.equal(timeline.update(msg(21, { rev: 41, text: 'edited' })), 'replaced');
  assert.equal(timeline.update(msg(21, { rev: 41, text: 'again' })), null);
  assert.equal(timeline.get(21).text, 'edited');
  assert.equal(timeline.update(msg(23, { rev: 42 })), 'added', 'a newer message whose own event was lost');
  assert.equal(timeline.hasGap(), true);
});

test('newestBy finds the last message of a user that is not deleted', () => {
  const timeline = holding([1, 2]);
  timeline.upsert(msg(3, { username: 'bob' }));
  timeline.upsert(msg(4, { deleted: true }));
  assert.equal(timeline.newestBy('ada').seq, 2);
  assert.equal(timeline.newestBy('bob').seq, 3);
  assert.equal(timeline.newestBy('eve'), null);
});

// Reactions (static/js/reactions.js): chips with counts, names and the reader's
// own, and a click that asks for a state rather than a toggle.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { reactionChips, reactionRequest } from '../../static/js/reactions.js';

const message = (reactions) => ({ room: 'general', seq: 4, rev: 9, reactions });

test('one chip per emoji in the server order, counted, named, the reader own marked', () => {
  const m = message([
    { emoji: '🎉', usernames: ['bob'] },
    { emoji: '👍', usernames: ['bob', 'ada', 'eve'] },
  ]);
  assert.deepEqual(reactionChips(m, 'ada'), [
    { emoji: '🎉', count: 1, names: 'bob', mine: false },
    { emoji: '👍', count: 3, names: 'bob, ada, eve', mine: true },
  ]);
});

test('no reactions, and malformed ones, give no chips', () => {
  assert.deepEqual(reactionChips(message([]), 'ada'), []);
  assert.deepEqual(reactionChips({ seq: 1 }, 'ada'), []);
  assert.deepEqual(reactionChips(undefined, 'ada'), []);
  const odd = message([{ emoji: '', usernames: ['a'] }, { emoji: '👍', usernames: [] }, { emoji: 7, usernames: ['a'] }]);
  assert.deepEqual(reactionChips(odd, 'ada'), []);
});

test('a click adds an emoji that is not yet ours and takes back one that is', () => {
  const m = message([{ emoji: '👍', usernames: ['ada'] }, { emoji: '🎉', usernames: ['bob'] }]);
  assert.deepEqual(reactionRequest(m, '👍', 'ada'), { emoji: '👍', on: false });
  assert.deepEqual(reactionRequest(m, '🎉', 'ada'), { emoji: '🎉', on: true });
  assert.deepEqual(reactionRequest(m, '😮', 'ada'), { emoji: '😮', on: true });
  assert.deepEqual(reactionRequest(m, '👍', 'bob'), { emoji: '👍', on: true });
});

test('two clicks before the answer ask the same thing twice (the server makes the second a no-op)', () => {
  const m = message([{ emoji: '👍', usernames: ['bob'] }]);
  assert.deepEqual(reactionRequest(m, '👍', 'ada'), reactionRequest(m, '👍', 'ada'));
});

// Mentions in the browser (static/js/mentions.js): the reader named, the @name
// being typed, who it may mean, and when to notify.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { completeMention, mentionMatches, mentionQuery, mentionsMe, shouldNotify } from '../../static/js/mentions.js';

test('a message names the reader when the server marked their mention', () => {
  const html = '<p>hi <span class="mention" data-user="ada">@Ada</span></p>';
  assert.equal(mentionsMe(html, 'ada'), true);
  assert.equal(mentionsMe(html, 'adam'), false);
  assert.equal(mentionsMe('<p>ada@example.com</p>', 'ada'), false);
  assert.equal(mentionsMe(undefined, 'ada'), false);
});

test('the @name at the caret is a query; an e-mail address or code is not', () => {
  assert.deepEqual(mentionQuery('hi @bo', 6), { start: 3, prefix: 'bo' });
  assert.deepEqual(mentionQuery('@', 1), { start: 0, prefix: '' });
  assert.equal(mentionQuery('mail ada@exa', 12), null);
  assert.equal(mentionQuery('hi @bob and', 11), null, 'the caret has left the name');
  assert.equal(mentionQuery('`@bo', 4), null);
  assert.deepEqual(mentionQuery('`x` @bo', 7), { start: 4, prefix: 'bo' });
});

test('names starting with the query come first, then those containing it, never the writer', () => {
  const names = ['Rambo', 'bob', 'ada', 'abbot', 'Bobby'];
  assert.deepEqual(mentionMatches(names, 'bo', 'ada'), ['bob', 'Bobby', 'abbot', 'Rambo']);
  assert.deepEqual(mentionMatches(names, '', 'bob', 2), ['abbot', 'ada']);
  assert.deepEqual(mentionMatches(names, 'ad', 'ada'), []);
});

test('completing puts "@name " in place of the query and the caret after it', () => {
  const text = 'hi @bo, see';
  const done = completeMention(text, { start: 3, prefix: 'bo' }, 6, 'bobby');
  assert.deepEqual(done, { text: 'hi @bobby , see', caret: 10 });
  assert.deepEqual(completeMention('@a', { start: 0, prefix: 'a' }, 2, 'ada'), { text: '@ada ', caret: 5 });
});

test('a mention notifies when allowed and the reader is not looking at it', () => {
  const base = { permission: 'granted', hidden: false, room: 'plans', openRoom: 'general' };
  assert.equal(shouldNotify(base), true, 'in another room');
  assert.equal(shouldNotify({ ...base, openRoom: 'plans' }), false, 'in the room on screen');
  assert.equal(shouldNotify({ ...base, openRoom: 'plans', hidden: true }), true, 'in a hidden tab');
  assert.equal(shouldNotify({ ...base, permission: 'default' }), false);
  assert.equal(shouldNotify({ ...base, permission: 'denied' }), false);
});

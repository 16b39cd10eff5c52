// How a person's name shows (static/js/message-item.js shownName): as the server's
// templates show it (chat/manage shown_name), display name beside the username.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { shownName } from '../../static/js/message-item.js';

test('a display name shows beside the username', () => {
  assert.equal(shownName('ada', 'Ada Lovelace'), 'Ada Lovelace (ada)');
});

test('without one, the username alone', () => {
  for (const none of [null, undefined, '', 42]) assert.equal(shownName('ada', none), 'ada');
});

test('a name that looks like markup stays text', () => {
  assert.equal(shownName('eve', '<b>Eve</b>'), '<b>Eve</b> (eve)');
});

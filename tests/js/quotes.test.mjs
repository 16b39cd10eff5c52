// Quotes (static/js/quotes.js): what a reply shows of its original.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { EXCERPT_CHARS, excerpt, quoteParts } from '../../static/js/quotes.js';

// A stand-in for the browser's parsing: drops tags.
const plainText = (html) => html.replace(/<[^>]+>/g, '');

test('the start of the original, white space folded, cut short', () => {
  assert.equal(excerpt('  one\n\ntwo\t three  '), 'one two three');
  assert.equal(excerpt('x'.repeat(500)).length, EXCERPT_CHARS);
});

test('a quote names the author and shows the text, not the markup', () => {
  const original = { seq: 3, username: 'ada', html: '<p><strong>ship</strong> it</p>\n<p>today</p>', deleted: false };
  assert.deepEqual(quoteParts(original, plainText), { author: 'ada', text: 'ship it today', gone: false });
});

test('a deleted original says so, and one not on the page is an earlier message', () => {
  assert.deepEqual(quoteParts({ username: 'ada', html: '', deleted: true }, plainText), {
    author: 'ada', text: 'message deleted', gone: true,
  });
  assert.deepEqual(quoteParts(undefined, plainText), { author: '', text: 'an earlier message', gone: false });
});

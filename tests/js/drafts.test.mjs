// Drafts per user and room (static/js/drafts.js), in a storage that may fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { readDraft, writeDraft } from '../../static/js/drafts.js';

function memoryStorage() {
  const data = new Map();
  return {
    data,
    getItem: (k) => (data.has(k) ? data.get(k) : null),
    setItem: (k, v) => data.set(k, String(v)),
    removeItem: (k) => data.delete(k),
  };
}

test('a draft is kept per user and room', () => {
  const storage = memoryStorage();
  writeDraft('ada', 'general', 'half a thought', storage);
  assert.equal(readDraft('ada', 'general', storage), 'half a thought');
  assert.equal(readDraft('ada', 'random', storage), '');
  assert.equal(readDraft('bob', 'general', storage), '');
});

test('an empty or blank draft is no draft', () => {
  const storage = memoryStorage();
  writeDraft('ada', 'general', 'x', storage);
  writeDraft('ada', 'general', '  \n', storage);
  assert.equal(storage.data.size, 0);
  assert.equal(readDraft('ada', 'general', storage), '');
});

test('a storage that refuses (disabled, full) keeps nothing and throws nothing', () => {
  const broken = { getItem() { throw new Error('denied'); }, setItem() { throw new Error('full'); }, removeItem() {} };
  writeDraft('ada', 'general', 'lost', broken);
  assert.equal(readDraft('ada', 'general', broken), '');
});

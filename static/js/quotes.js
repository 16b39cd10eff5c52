/*
 * What a reply's quote says about the message it answers. No DOM here: the
 * caller hands in how to read the plain text out of a message's `html`.
 *
 * The server renders the same three cases into the page (templates/rooms/
 * _items.html): an original it does not show, a deleted one, and the start of
 * its text. The quote is one line; CSS ends it with an ellipsis, so both sides
 * only need to cut somewhere past what a line holds.
 */

export const EXCERPT_CHARS = 200;

// White space folded to single spaces, cut to EXCERPT_CHARS.
export function excerpt(text) {
  return String(text).replace(/\s+/g, ' ').trim().slice(0, EXCERPT_CHARS);
}

// original: the message object, or undefined while this page does not have it.
export function quoteParts(original, plainText) {
  if (!original) return { author: '', text: 'an earlier message', gone: false };
  if (original.deleted) return { author: String(original.username), text: 'message deleted', gone: true };
  return { author: String(original.username), text: excerpt(plainText(String(original.html || ''))), gone: false };
}

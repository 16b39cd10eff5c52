/*
 * The directory (/people) searches as you type: each change of the box submits
 * its GET form after a short pause, and Turbo puts the answer into the results'
 * frame (the form names it), the URL following. Without script the form's button does it.
 */

const PAUSE_MS = 150;

export function wireDirectory(form, listeners) {
  const box = form.querySelector('input[type="search"]');
  let timer = null;
  listeners.on(box, 'input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => form.requestSubmit(), PAUSE_MS);
  });
  return () => clearTimeout(timer);
}

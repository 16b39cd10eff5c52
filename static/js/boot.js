/*
 * The one classic script of every page, run before the first paint: it says that
 * scripts run here (<html class="js">), so what only the script offers (the
 * connection badge, "Enter to send", the drawers' toggles) is laid out from the
 * start and nothing moves when the modules arrive. Without JavaScript none of it
 * shows. No inline script: the CSP allows none.
 */
document.documentElement.classList.add('js');

// A request that navigation abandons (Turbo cancels a visit's or a prefetch's fetch when
// another begins) rejects with an AbortError that nothing awaits any more: expected, and
// not an error to report.
window.addEventListener('unhandledrejection', (event) => {
  if (event.reason && event.reason.name === 'AbortError') event.preventDefault();
});

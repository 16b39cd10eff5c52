/*
 * The one classic script of every page, run before the first paint: it says that
 * scripts run here (<html class="js">), so what only the script offers (the
 * connection badge, "Enter to send", the drawers' toggles) is laid out from the
 * start and nothing moves when the modules arrive. Without JavaScript none of it
 * shows. No inline script: the CSP allows none.
 */
document.documentElement.classList.add('js');

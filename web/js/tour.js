// web/js/tour.js: an automatic camera tour for unattended walls. After
// `tour.idle_s` seconds without input (or at once with ?tour=1 or the
// button) the camera visits the whole city, then each district in turn
// (`tour.dwell_s` each), and the panels follow the district shown. Any
// pointer or key input stops it.
let timer = null, idleTimer = null, running = false, step = 0;
let opts = null;

export function initTour(o) {
  // o: {idle_s, dwell_s, districts: () => [...], show: (districtOrNull) => void, onState: (bool) => void}
  opts = o;
  const reset = (ev) => {
    // the button toggles by itself (a press, or Enter / Space while it has
    // the focus); any other key stops the tour even then (it kept running
    // after a click on the button left the focus there)
    const own = ev?.target?.closest?.('#btn-tour') &&
      (ev.type === 'pointerdown' || ev.key === 'Enter' || ev.key === ' ');
    if (own) return;
    if (running) stop();
    clearTimeout(idleTimer);
    if (opts.idle_s > 0) idleTimer = setTimeout(start, opts.idle_s * 1000);
  };
  for (const ev of ['pointerdown', 'wheel', 'keydown']) window.addEventListener(ev, reset, { passive: true });
  reset();
  if (new URLSearchParams(location.search).get('tour') === '1') start();
}

export function isRunning() { return running; }

export function start() {
  if (running || !opts) return;
  running = true;
  step = 0;
  opts.onState?.(true);
  next();
}

export function stop() {
  if (!running) return;
  running = false;
  clearTimeout(timer);
  opts.onState?.(false);
}

function next() {
  if (!running) return;
  const ds = opts.districts();
  const stops = [null, ...ds];
  opts.show(stops[step % stops.length]);
  step++;
  timer = setTimeout(next, opts.dwell_s * 1000);
}

export function toggle() { if (running) stop(); else start(); }

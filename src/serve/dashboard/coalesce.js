/**
 * Runs `fn` once, `ms` after the first of a burst of calls. Not a debounce: a busy fleet sends
 * events more often than `ms`, and a debounce would then never run.
 */
export function coalesce(fn, ms) {
  let timer = 0;
  const schedule = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = 0;
      fn();
    }, ms);
  };
  schedule.cancel = () => {
    clearTimeout(timer);
    timer = 0;
  };
  return schedule;
}

// Live updates over /ws: every event goes to `onEvent`; after a reconnect `onReconnect` catches up
// on what was sent meanwhile (events sent while disconnected are lost).

export function connectLive(indicator, onEvent, onReconnect) {
  let attempt = 0;
  let connectedBefore = false;
  const open = () => {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    let ws;
    try {
      ws = new WebSocket(`${proto}//${location.host}/ws`);
    } catch {
      return retry();
    }
    ws.onopen = () => {
      attempt = 0;
      showLive(indicator, true);
      if (connectedBefore) onReconnect();
      connectedBefore = true;
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (msg && typeof msg.type === "string") onEvent(msg);
    };
    ws.onclose = () => {
      showLive(indicator, false);
      retry();
    };
  };
  const retry = () => {
    // 1 s, 2 s, 4 s … up to 30 s, with jitter so a restarted server is not hit by every tab at once.
    const delay = Math.min(30000, 1000 * 2 ** attempt) * (0.75 + Math.random() / 2);
    attempt = Math.min(attempt + 1, 5);
    setTimeout(open, delay);
  };
  open();
}

function showLive(el, on) {
  el.textContent = on ? "live" : "offline";
  el.classList.toggle("online", on);
  el.classList.toggle("offline", !on);
  el.title = on ? "Receiving live updates" : "Not connected: reconnecting…";
}

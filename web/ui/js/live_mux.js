// SPDX-License-Identifier: Apache-2.0
// live_mux.js - the live grid's tiles on ONE connection: GET
// /api/v1/live/mux?cameras=A,B,...&stream=sub[&codec=h264], an endless body
// of framed chunks (docs/ref/http-api.md "Live mux"): an 8-byte header
// (kind 'S' status / 'I' init segment / 'F' fragment, the camera's index in
// the list, flags, payload length big-endian) and the payload.  Each tile
// has its own MediaSource (MseSink, live.js); a new init segment for a tile
// starts it a new one.
//
// Why: Chromium allows six HTTP/1.1 connections per host, and each tile's
// live.mp4 never ends, so a 9- or 16-tile grid played only six tiles.
//
// When the body ends or fails it reconnects (300 ms after a body that
// played, else after a pause that grows to 10 s).  If the route is not
// there (an older server) or refuses the list, onUnavailable() is called
// once and the grid falls back to one live.mp4 per tile.
import { toLogin, answerError } from './common.js';
import { MseSink, choosePlayback } from './live.js';

const HEADER = 8;
const STREAM = 255;

// A tile on the mux: its video, its MSE sink (null until the first init).
class MuxTile {
  constructor(entry, choice) {
    this.video = entry.video;
    this.cam = entry.cam;
    this.onState = entry.onState;
    this.choice = choice;
    this.sink = null;
    this.detail = choice.transcoded ? 'H.264 rendition' : '';
  }

  init(bytes) {
    this.reset();
    this.sink = new MseSink(this.video, this.choice.mime, () => this.onState('playing', this.detail));
    this.sink.open().catch((e) => this.fail(e));
    this.push(bytes);
  }

  push(bytes) {
    if (!this.sink) return; // no init yet (or broken): wait for the next
    try {
      this.sink.push(bytes);
    } catch (e) {
      this.fail(e);
    }
  }

  status(doc) {
    if (doc.state === 'ended') this.onState('connecting', 'the camera reconnects');
    else if (doc.state === 'unavailable') this.onState('error', doc.reason || 'unavailable');
  }

  fail(e) {
    this.onState('error', e.message || String(e));
    this.reset();
  }

  reset() {
    if (this.sink) this.sink.close();
    this.sink = null;
  }

  // The tile leaves the page (the grid's clear()).
  stop() {
    this.reset();
    this.video.removeAttribute('src');
    this.video.load();
  }
}

export class LiveMux {
  // entries: the grid's tiles {cam, video, onState} (borrowed); stream
  // "sub" or "main"; onUnavailable() when the route cannot be used (then
  // this mux has let go of the tiles).
  constructor(entries, stream, onUnavailable) {
    this.stream = stream;
    this.onUnavailable = onUnavailable;
    this.tiles = [];
    for (const e of entries) {
      const choice = choosePlayback(e.cam);
      if (choice) this.tiles.push(new MuxTile(e, choice));
      else e.onState('unsupported', 'this browser cannot play the live video');
    }
    this.gen = 0;
    this.retryMs = 1000;
    this.everOk = false;
  }

  // The tile objects, one per playable camera (what the grid calls a player).
  players() {
    return this.tiles;
  }

  url() {
    const ids = this.tiles.map((t) => encodeURIComponent(t.cam.id)).join(',');
    const h264 = this.tiles.some((t) => t.choice.transcoded);
    return `/api/v1/live/mux?cameras=${ids}${this.stream !== 'main' ? `&stream=${this.stream}` : ''}${h264 ? '&codec=h264' : ''}`;
  }

  start() {
    if (this.tiles.length) this.run(++this.gen);
  }

  stop() {
    this.gen++;
    clearTimeout(this.retryTimer);
    if (this.abort) this.abort.abort();
    this.abort = null;
    for (const t of this.tiles) t.stop();
  }

  async run(gen) {
    const abort = (this.abort = new AbortController());
    let ok = false;
    try {
      const resp = await fetch(this.url(), { signal: abort.signal, cache: 'no-store' });
      if (gen !== this.gen) return;
      if (resp.status === 401) toLogin();
      if (!resp.ok && resp.status !== 503 && !this.everOk) {
        // no such route (an older server) or a list it refuses: one live.mp4 per tile
        this.gen++;
        console.log(`live mux unavailable (${(await answerError(resp)).message}): one live.mp4 per tile`);
        this.onUnavailable();
        return;
      }
      if (!resp.ok) throw await answerError(resp);
      for (const t of this.tiles) t.onState('connecting', t.detail);
      const reader = resp.body.getReader();
      let buf = new Uint8Array(0);
      for (;;) {
        const { value, done } = await reader.read();
        if (gen !== this.gen) return;
        if (done) break;
        buf = buf.length ? concat(buf, value) : value;
        buf = this.frames(buf);
        if (!ok && this.tiles.some((t) => t.sink && t.sink.playable())) {
          ok = this.everOk = true;
          this.retryMs = 1000;
        }
      }
    } catch (e) {
      if (gen !== this.gen) return;
      for (const t of this.tiles) t.onState('error', e.message || String(e));
    } finally {
      abort.abort();
    }
    if (gen !== this.gen) return;
    // the body ended (server restart) or failed: again; every tile starts anew
    for (const t of this.tiles) t.reset();
    this.retryTimer = setTimeout(() => this.run(gen), ok ? 300 : this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 10000);
  }

  // Hands every whole frame in buf to its tile; returns the rest.
  frames(buf) {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let off = 0;
    while (buf.length - off >= HEADER) {
      const len = view.getUint32(off + 4);
      if (buf.length - off - HEADER < len) break;
      const kind = String.fromCharCode(buf[off]);
      const index = buf[off + 1];
      const payload = buf.subarray(off + HEADER, off + HEADER + len);
      off += HEADER + len;
      const tile = this.tiles[index];
      if (index === STREAM || !tile) continue;
      if (kind === 'I') tile.init(payload);
      else if (kind === 'F') tile.push(payload);
      else if (kind === 'S') tile.status(JSON.parse(new TextDecoder().decode(payload)));
    }
    return buf.subarray(off);
  }
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

// SPDX-License-Identifier: Apache-2.0
// live.js - one camera's live picture in a <video>, fed by Media Source
// Extensions from GET /api/v1/cameras/{id}/live.mp4: an endless fMP4 body
// (init segment, then one moof+mdat per frame starting at a keyframe).
//
// The body is read with fetch's stream reader and appended to one
// SourceBuffer in arrival order.  The player keeps near the live edge: more
// than LAG_JUMP behind it jumps, more than LAG_SPEED behind it plays 10 %
// faster (25 % beyond LAG_FAST) until it is back within LAG_SPEED of the
// newest frame received; it drops what is more than KEEP seconds old.  When the body ends
// (camera reconnect, codec change, server restart) or fails, it starts again
// after a pause that grows to 10 s.  H.265 cameras: when the browser cannot
// play the camera's type (MediaSource.isTypeSupported), it asks for the
// server's H.264 rendition (?codec=h264) instead.
import { answerError, toLogin } from './common.js';

const MS = window.ManagedMediaSource || window.MediaSource;
const LAG_JUMP = 1.5;
const LAG_SPEED = 0.3;
const LAG_FAST = 0.8;
const KEEP = 20;

// The MSE type for a camera: the server's video.mime when it gives one.
export function cameraMime(cam) {
  if (cam.video && cam.video.mime) return cam.video.mime;
  const codec = cam.video && cam.video.codec;
  if (codec === 'h265' || codec === 'hevc') return 'video/mp4; codecs="hvc1.1.6.L93.B0"';
  return 'video/mp4; codecs="avc1.64001f"';
}

export const H264_MIME = 'video/mp4; codecs="avc1.64001f"';

export function mseSupported() {
  return !!MS;
}

// How to play cam: {query, mime, transcoded} or null when nothing plays.
export function choosePlayback(cam) {
  if (!MS) return null;
  const mime = cameraMime(cam);
  if (MS.isTypeSupported(mime)) return { query: '', mime, transcoded: false };
  if (MS.isTypeSupported(H264_MIME)) return { query: 'codec=h264', mime: H264_MIME, transcoded: true };
  return null;
}

// One <video> fed by Media Source Extensions with fMP4 bytes in arrival
// order (an init segment first): the SourceBuffer, the queue in front of
// it, keeping near the live edge (chase) and dropping old media (trim).
// Used by LivePlayer (one live.mp4 per tile) and by LiveMux (live_mux.js:
// several tiles on one connection).
export class MseSink {
  // video (borrowed); mime for the SourceBuffer; onPlaying() whenever the
  // picture plays (after a chase).
  constructor(video, mime, onPlaying = () => {}) {
    this.video = video;
    this.mime = mime;
    this.onPlaying = onPlaying;
    this.queue = [];
    this.sb = null;
    this.closed = false;
    this.ms = new MS();
    this.objectUrl = URL.createObjectURL(this.ms);
    video.src = this.objectUrl;
  }

  // Resolves once the SourceBuffer exists (bytes pushed before wait in the queue).
  async open() {
    const ms = this.ms;
    await new Promise((res) => ms.addEventListener('sourceopen', res, { once: true }));
    if (this.closed) return;
    this.sb = ms.addSourceBuffer(this.mime);
    this.sb.mode = 'segments';
    this.sb.addEventListener('updateend', () => {
      this.chase();
      this.feed();
    });
    this.feed();
  }

  // Queues bytes (a Uint8Array) and appends what it can; throws what appendBuffer throws.
  push(bytes) {
    this.queue.push(bytes);
    this.feed();
  }

  // Whether anything is buffered yet.
  playable() {
    return this.video.buffered.length > 0;
  }

  close() {
    this.closed = true;
    this.queue.length = 0;
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
    this.objectUrl = null;
  }

  feed() {
    const sb = this.sb;
    const video = this.video;
    if (!sb || this.closed || sb.updating || this.ms.readyState !== 'open') return;
    if (this.trim(sb)) return; // remove() runs; updateend feeds again
    if (!this.queue.length) return;
    const n = this.queue.reduce((a, c) => a + c.byteLength, 0);
    const buf = new Uint8Array(n);
    let off = 0;
    for (const c of this.queue) {
      buf.set(c, off);
      off += c.byteLength;
    }
    this.queue.length = 0;
    try {
      sb.appendBuffer(buf);
    } catch (e) {
      if (e.name === 'QuotaExceededError' && video.buffered.length) {
        this.queue.unshift(buf);
        sb.remove(video.buffered.start(0), Math.max(video.buffered.start(0) + 1, video.currentTime - 2));
      } else {
        throw e;
      }
    }
  }

  // Keeps the picture near the live edge; starts playing once there is data.
  chase() {
    const v = this.video;
    const b = v.buffered;
    if (this.closed || !b.length) return;
    const end = b.end(b.length - 1);
    const start = b.start(b.length - 1);
    // at the start (the body begins at the last keyframe, up to a GOP ago) and when far behind: jump
    if (v.currentTime < start || end - v.currentTime > LAG_JUMP || (v.paused && end - v.currentTime > LAG_SPEED))
      v.currentTime = Math.max(start, end - 0.2);
    const lag = end - v.currentTime;
    v.playbackRate = lag > LAG_FAST ? 1.25 : lag > LAG_SPEED ? 1.1 : 1.0;
    if (v.paused) {
      v.play().then(
        () => this.onPlaying(),
        () => {},
      );
    } else {
      this.onPlaying();
    }
  }

  // Drops old media; true if a remove() was started.
  trim(sb) {
    const b = this.video.buffered;
    if (!b.length) return false;
    const cut = this.video.currentTime - KEEP / 2;
    if (cut - b.start(0) > KEEP / 2) {
      sb.remove(b.start(0), cut);
      return true;
    }
    return false;
  }
}

export class LivePlayer {
  // video: the element (borrowed); cam: the camera document; stream: "main" or "sub".
  constructor(video, cam, stream, onState = () => {}) {
    this.video = video;
    this.cam = cam;
    this.stream = stream;
    this.onState = onState;
    this.retryMs = 1000;
    this.stopped = true;
    this.gen = 0;
    this.sink = null;
    if (window.ManagedMediaSource) video.disableRemotePlayback = true;
  }

  url(stream) {
    const q = [];
    if (stream !== 'main') q.push(`stream=${stream}`);
    if (this.choice.query) q.push(this.choice.query);
    return `/api/v1/cameras/${encodeURIComponent(this.cam.id)}/live.mp4${q.length ? '?' + q.join('&') : ''}`;
  }

  start() {
    this.stopped = false;
    this.choice = choosePlayback(this.cam);
    if (!this.choice) {
      this.onState('unsupported', 'this browser cannot play the live video');
      return;
    }
    this.run(++this.gen);
  }

  stop() {
    this.stopped = true;
    this.gen++;
    clearTimeout(this.retryTimer);
    if (this.abort) this.abort.abort();
    this.abort = null;
    if (this.sink) this.sink.close();
    this.sink = null;
    this.video.removeAttribute('src');
    this.video.load();
  }

  async run(gen) {
    const abort = (this.abort = new AbortController());
    if (this.sink) this.sink.close();
    const sink = (this.sink = new MseSink(this.video, this.choice.mime,
      () => this.onState('playing', this.choice.transcoded ? 'H.264 rendition' : '')));
    let ok = false;
    try {
      await sink.open();
      if (gen !== this.gen) return;
      let resp = await fetch(this.url(this.stream), { signal: abort.signal, cache: 'no-store' });
      if (!resp.ok && this.stream !== 'main' && resp.status < 500) {
        // no sub stream for this camera: the main one will do
        resp = await fetch(this.url('main'), { signal: abort.signal, cache: 'no-store' });
      }
      if (resp.status === 401) toLogin();
      if (!resp.ok) throw await answerError(resp);
      this.onState('connecting', this.choice.transcoded ? 'H.264 rendition' : '');
      const reader = resp.body.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (gen !== this.gen) return;
        if (done) break;
        sink.push(value);
        if (!ok && sink.playable()) {
          ok = true;
          this.retryMs = 1000;
        }
      }
    } catch (e) {
      if (gen !== this.gen) return;
      this.onState('error', e.message || String(e));
    } finally {
      abort.abort();
    }
    if (gen !== this.gen || this.stopped) return;
    // the body ended (camera reconnected, new parameters) or failed: again
    this.retryTimer = setTimeout(() => this.run(gen), ok ? 300 : this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 10000);
  }
}

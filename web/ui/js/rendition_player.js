// SPDX-License-Identifier: Apache-2.0
// rendition_player.js - one camera's recorded footage as the server's H.264
// rendition (GET playback.mp4?codec=h264), played with Media Source
// Extensions, for cameras whose codec this browser cannot decode (H.265 in
// Debian's Chromium).  Same interface as RecordedPlayer (player.js), so the
// playback page uses either.
//
// Timeline: media time 0 is `base`, the wall clock (X-Start-Time) of the
// first response after load(); every response's bytes are appended with
// timestampOffset = (its X-Start-Time - base), so media time is wall-clock
// time since base and the instant on screen is base + currentTime.  A gap
// in the recording is a gap between buffered ranges, jumped over while
// playing.
//
// Loading: one request from the wall time where the buffer ends to the end
// of the loaded range; the server ends the body at a gap (X-End-Time) and
// the next request starts there.  While more than AHEAD_MAX s are buffered
// ahead the request is cancelled (the server stops transcoding and frees its
// slot) and a new one starts when fewer than AHEAD_MIN s are left.  Seeking
// inside what is buffered moves currentTime; anywhere else loads anew.  A
// 503 (all the server's transcoders busy) is retried after Retry-After.

import { API, answerError, iso, toLogin } from './common.js';
import { cameraMime } from './live.js';
import { PlayerBase } from './player_base.js';

const MS = window.ManagedMediaSource || window.MediaSource;
const MIME = 'video/mp4; codecs="avc1.42c01f"';
const AHEAD_MIN = 10; // s: ask for more below this
const AHEAD_MAX = 40; // s: stop the request above this
const KEEP_BEHIND = 60; // s of played video kept buffered
const GAP_JUMP = 0.3; // s: this close to a buffered range's end, jump to the next

// Whether cam needs the rendition: MSE cannot play its type but can play H.264.
export function needsRendition(cam) {
  return !!MS && !MS.isTypeSupported(cameraMime(cam)) && MS.isTypeSupported(MIME);
}

export class RenditionPlayer extends PlayerBase {
  // video (borrowed); camera id; onState(state, text) for the overlay.
  constructor(video, camera, onState = () => {}) {
    super(video, camera, onState);
    this.range = null; // [start, end) ms asked for
    this.base = null; // wall ms of media time 0
    this.pending = null; // wall ms to show once the first bytes are in
    this.next = null; // start (RFC 3339 string) of the next request, null: nothing more
    this.gen = 0;
    this.ms = null;
    this.sb = null;
    this.busy = false;
    this.holdUntil = 0;
    if (window.ManagedMediaSource) video.disableRemotePlayback = true;
  }

  // Truthy while a stream is loaded (RecordedPlayer's hls; playback.js tests it).
  get hls() {
    return this.ms;
  }

  destroy() {
    this.gen++;
    if (this.abort) this.abort.abort();
    this.abort = null;
    clearInterval(this.timer);
    this.timer = null;
    if (this.url) {
      this.video.removeAttribute('src');
      this.video.load();
      URL.revokeObjectURL(this.url);
    }
    this.url = null;
    this.ms = null;
    this.sb = null;
    this.base = null;
    this.busy = false;
  }

  // Plays [start, end) from `at` (wall ms).
  load(start, end, at) {
    this.destroy();
    const gen = this.gen;
    this.range = [start, end];
    this.pending = at;
    this.next = iso(at);
    this.holdUntil = 0;
    this.onState('loading', '');
    if (!MS) {
      this.onState('error', 'this browser cannot play video here (no Media Source Extensions)');
      return;
    }
    const ms = (this.ms = new MS());
    this.url = URL.createObjectURL(ms);
    this.video.src = this.url;
    ms.addEventListener(
      'sourceopen',
      () => {
        if (gen !== this.gen) return;
        this.sb = ms.addSourceBuffer(MIME);
        this.timer = setInterval(() => this.pump(gen), 500);
        this.pump(gen);
      },
      { once: true },
    );
  }

  // True once the first bytes are in and the player stands at the instant asked for.
  loaded() {
    return this.base !== null && this.pending === null && this.video.buffered.length > 0;
  }

  wallTime() {
    if (!this.loaded()) return null;
    return Math.round(this.base + this.video.currentTime * 1000);
  }

  // Media time for wall ms: {t, inGap}; null if it is not buffered.
  mediaTime(ms) {
    if (!this.loaded()) return null;
    const t = (ms - this.base) / 1000;
    const b = this.video.buffered;
    for (let i = 0; i < b.length; i++) {
      if (t >= b.start(i) && t < b.end(i)) return { t, inGap: false };
      if (t < b.start(i)) return i > 0 ? { t: b.start(i), inGap: true } : null;
    }
    return null;
  }

  covers(ms) {
    return this.range && ms >= this.range[0] && ms < this.range[1];
  }

  // Seeks within what is buffered; false if ms is not (the caller loads).
  seekWall(ms) {
    if (this.base === null) {
      this.pending = ms;
      this.next = iso(ms);
      return true;
    }
    const m = this.mediaTime(ms);
    if (!m) return false;
    this.video.currentTime = m.t;
    this.onState(m.inGap ? 'gap' : 'ready', m.inGap ? 'gap: skipped to the next recording' : 'H.264 rendition');
    if (this.wantPlay) this.play();
    return true;
  }

  // ---- loading ----

  // Seconds buffered ahead of currentTime (in its range).
  ahead() {
    const b = this.video.buffered;
    const t = this.video.currentTime;
    for (let i = 0; i < b.length; i++) if (t >= b.start(i) - 0.01 && t < b.end(i)) return b.end(i) - t;
    return 0;
  }

  // Playing into the end of a buffered range with another after it: a gap.
  jumpGap() {
    const b = this.video.buffered;
    const t = this.video.currentTime;
    for (let i = 0; i + 1 < b.length; i++) {
      if (t >= b.end(i) - GAP_JUMP && t < b.start(i + 1)) {
        this.video.currentTime = b.start(i + 1) + 0.01;
        return;
      }
    }
  }

  pump(gen) {
    if (gen !== this.gen || !this.sb) return;
    this.jumpGap();
    if (this.busy || this.next === null || Date.now() < this.holdUntil) return;
    if (this.base !== null && this.ahead() > AHEAD_MIN) return;
    this.busy = true;
    this.fetchRun(gen)
      .catch((e) => {
        if (gen !== this.gen || e.name === 'AbortError') return;
        this.onState('error', e.message);
        this.next = null;
      })
      .finally(() => {
        if (gen === this.gen) this.busy = false;
      });
  }

  async fetchRun(gen) {
    const start = this.next;
    const url = `${API}/cameras/${encodeURIComponent(this.camera)}/playback.mp4?codec=h264&start=${encodeURIComponent(start)}&end=${iso(this.range[1])}`;
    const abort = (this.abort = new AbortController());
    const resp = await fetch(url, { cache: 'no-store', signal: abort.signal });
    if (gen !== this.gen) return;
    if (resp.status === 401) toLogin();
    if (resp.status === 503) {
      this.holdUntil = Date.now() + 1000 * (+resp.headers.get('Retry-After') || 5);
      this.onState(this.base === null ? 'loading' : 'ready', 'waiting for the server (busy)');
      return;
    }
    if (resp.status === 404) {
      // nothing (more) recorded in the range
      this.next = null;
      if (this.base === null) this.onState('empty', 'no recording here');
      else if (this.ms.readyState === 'open' && !this.sb.updating) this.ms.endOfStream();
      return;
    }
    if (!resp.ok) throw await answerError(resp);
    const xstart = Date.parse(resp.headers.get('X-Start-Time'));
    const xend = resp.headers.get('X-End-Time');
    if (this.base === null) this.base = xstart;
    await this.whenIdle();
    this.sb.abort(); // drops a partial fragment of a cancelled request
    this.sb.timestampOffset = (xstart - this.base) / 1000;
    const reader = resp.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (gen !== this.gen) return;
      if (done) break;
      await this.append(value);
      if (gen !== this.gen) return;
      // not before the instant is buffered: the element clamps currentTime to
      // the duration, which grows with what is appended
      if (this.pending !== null && this.buffers(this.pending)) this.showPending();
      if (this.ahead() > AHEAD_MAX) {
        // enough for now: let the server stop; go on from the buffer's end
        abort.abort();
        if (this.pending !== null) this.showPending();
        const b = this.video.buffered;
        this.next = iso(Math.round(this.base + b.end(b.length - 1) * 1000));
        return;
      }
    }
    // the body ended at a gap (X-End-Time) or at the range's end
    this.next = Date.parse(xend) >= this.range[1] - 1 ? null : xend;
    if (this.pending !== null && this.video.buffered.length) this.showPending();
    if (this.next === null && this.ms.readyState === 'open') {
      await this.whenIdle();
      if (gen === this.gen && this.ms.readyState === 'open') this.ms.endOfStream();
    }
  }

  // Whether wall ms is buffered (or before base: a gap the player skips).
  buffers(ms) {
    const t = (ms - this.base) / 1000;
    const b = this.video.buffered;
    if (!b.length) return false;
    if (t < b.start(0)) return true;
    for (let i = 0; i < b.length; i++) if (t >= b.start(i) && t < b.end(i)) return true;
    return false;
  }

  showPending() {
    const b = this.video.buffered;
    const last = b.length ? b.end(b.length - 1) : 0;
    const t = Math.min(Math.max(0, (this.pending - this.base) / 1000), Math.max(0, last - 0.05));
    const inGap = this.pending < this.base;
    this.pending = null;
    this.video.currentTime = t;
    this.onState(inGap ? 'gap' : 'ready', inGap ? 'gap: skipped to the next recording' : 'H.264 rendition');
    if (this.wantPlay) this.play();
  }

  whenIdle() {
    if (!this.sb.updating) return Promise.resolve();
    return new Promise((res) => this.sb.addEventListener('updateend', res, { once: true }));
  }

  async append(data) {
    await this.whenIdle();
    const b = this.video.buffered;
    const t = this.video.currentTime;
    if (b.length && t - b.start(0) > KEEP_BEHIND + 10) {
      this.sb.remove(b.start(0), t - KEEP_BEHIND);
      await this.whenIdle();
    }
    this.sb.appendBuffer(data);
    await this.whenIdle();
  }
}

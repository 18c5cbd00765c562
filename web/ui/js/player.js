// SPDX-License-Identifier: Apache-2.0
// player.js - one camera's recorded footage in a <video>, played by hls.js
// from the NVR's playback.m3u8 for a range, with the mapping between the
// video's currentTime and wall-clock time.
//
// The playlist has EXT-X-PROGRAM-DATE-TIME at its start and at every new
// segment file; hls.js gives every fragment its programDateTime (ms) and its
// start on the media timeline, so the instant on screen is
//   frag.programDateTime + (currentTime - frag.start) * 1000
// for the fragment holding currentTime.  Seeking to a wall-clock instant is
// the inverse; an instant in a gap seeks to the next footage.  An instant
// outside the loaded range loads a new playlist around it.
//
// hls.js (375 KB; 98 KB as brotli) is the page's largest file by far, so it
// is not a static import: loadHls() fetches it once, the page calls it at
// start so it arrives while the page asks for its cameras and footage, and
// on a slow link the page is on screen (cameras, timeline, controls) before
// it has come.  A player asked to load before then says "loading".

import { playlistUrl, ApiError } from './common.js';
import { PlayerBase } from './player_base.js';

let hlsModule = null;
export function loadHls() {
  hlsModule ??= import('../vendor/hls.mjs').then((m) => m.default);
  return hlsModule;
}

const GAP_INTO = 0.05; // s

export class RecordedPlayer extends PlayerBase {
  // video (borrowed); camera id; onState(state, text) for the overlay.
  constructor(video, camera, onState = () => {}) {
    super(video, camera, onState);
    this.hls = null;
    this.range = null; // [start, end) ms of the loaded playlist
    this.frags = [];
    this.pending = null; // wall ms to seek to once the playlist is parsed
  }

  destroy() {
    this.generation = (this.generation || 0) + 1; // a load() still waiting for hls.js is dropped
    if (this.hls) this.hls.destroy();
    this.hls = null;
  }

  // Loads the playlist of [start, end) and seeks to `at`.
  load(start, end, at) {
    this.destroy();
    this.range = [start, end];
    this.frags = [];
    this.pending = at;
    this.recoveries = 0;
    this.onState('loading', '');
    const generation = this.generation;
    loadHls().then((Hls) => {
      if (generation === this.generation) this.startHls(Hls, start, end);
    }, () => this.onState('error', 'the player (hls.js) could not be loaded: reload the page'));
  }

  // The rest of load() once hls.js is here.
  startHls(Hls, start, end) {
    if (!Hls.isSupported()) {
      this.onState('error', 'this browser cannot play HLS (no Media Source Extensions)');
      return;
    }
    // loading starts once the playlist is known, at the media time of `at`
    const hls = (this.hls = new Hls({ enableWorker: false, autoStartLoad: false, maxBufferLength: 30, backBufferLength: 30 }));
    hls.on(Hls.Events.LEVEL_LOADED, (_e, data) => {
      const first = !this.frags.length;
      this.frags = data.details.fragments.filter((f) => f.programDateTime !== null);
      if (!first || !this.frags.length) return;
      const want = this.pending ?? this.frags[0].programDateTime;
      this.pending = null;
      const last = this.frags[this.frags.length - 1];
      const m = this.mediaTime(Math.max(want, this.frags[0].programDateTime));
      // past the last footage: stay at its end
      const t = m ? m.t : last.start + Math.max(0, last.duration - 0.1);
      hls.startLoad(t);
      this.video.currentTime = t;
      this.onState(m ? (m.inGap ? 'gap' : 'ready') : 'empty', m ? (m.inGap ? 'gap: skipped to the next recording' : '') : 'no recording here');
      if (this.wantPlay) this.play();
    });
    hls.on(Hls.Events.ERROR, (_e, data) => {
      if (data.details === Hls.ErrorDetails.MANIFEST_LOAD_ERROR && data.response && data.response.code === 404) {
        this.onState('empty', 'no recording here');
        hls.destroy();
        if (this.hls === hls) this.hls = null;
        return;
      }
      if (!data.fatal) return;
      const codec = /codec/i.test(data.details) || (data.error && /codec|type/i.test(data.error.message || ''));
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !codec && this.recoveries++ < 2) {
        hls.recoverMediaError();
      } else {
        // e.g. H.265 recordings in a browser without HEVC: say so rather than retry forever
        this.onState('error', codec ? 'this browser cannot decode this camera\'s video (H.265?)' : data.details);
        this.frags = [];
        hls.destroy();
        if (this.hls === hls) this.hls = null;
      }
    });
    hls.loadSource(playlistUrl(this.camera, start, end));
    hls.attachMedia(this.video);
  }

  loaded() {
    return this.frags.length > 0;
  }

  // The fragment holding media time t, or null.
  fragAt(t) {
    const f = this.frags;
    let lo = 0;
    let hi = f.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (f[mid].start + f[mid].duration <= t) lo = mid + 1;
      else if (f[mid].start > t) hi = mid - 1;
      else return f[mid];
    }
    return null;
  }

  // Wall-clock ms of the frame on screen, or null.
  wallTime() {
    if (!this.frags.length) return null;
    const t = this.video.currentTime;
    const f = this.fragAt(t) || (t < this.frags[0].start ? this.frags[0] : this.frags[this.frags.length - 1]);
    return Math.round(f.programDateTime + (t - f.start) * 1000);
  }

  // Media time for wall ms: {t, inGap}; null if outside the loaded fragments.
  mediaTime(ms) {
    const f = this.frags;
    if (!f.length || ms < f[0].programDateTime) return null;
    const last = f[f.length - 1];
    if (ms >= last.programDateTime + last.duration * 1000) return null;
    let lo = 0;
    let hi = f.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (f[mid].programDateTime <= ms) lo = mid;
      else hi = mid - 1;
    }
    const fr = f[lo];
    const into = (ms - fr.programDateTime) / 1000;
    if (into < fr.duration) return { t: fr.start + into, inGap: false };
    // a gap: the next run's start, a little inside it so the position (which
    // the browser may round to a frame) is read back as that run's, not as
    // the end of the one before (wallTime)
    const next = f[lo + 1];
    return { t: next.start + GAP_INTO, inGap: true };
  }

  // True if ms is inside the loaded range (a seek stays in this playlist).
  covers(ms) {
    return this.range && ms >= this.range[0] && ms < this.range[1];
  }

  // Seeks to wall ms within the loaded playlist; returns false if it is not.
  seekWall(ms) {
    if (!this.frags.length) {
      this.pending = ms;
      return true;
    }
    const m = this.mediaTime(ms);
    if (!m) {
      this.onState('empty', 'no recording here');
      this.video.pause();
      return false;
    }
    this.video.currentTime = m.t;
    this.onState(m.inGap ? 'gap' : 'ready', m.inGap ? 'gap: skipped to the next recording' : '');
    if (this.wantPlay) this.play();
    return true;
  }
}

export { ApiError };

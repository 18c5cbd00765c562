// SPDX-License-Identifier: Apache-2.0
// player_base.js - what the two recorded-footage players (player.js:
// RecordedPlayer over HLS, rendition_player.js: RenditionPlayer over
// playback.mp4) share: the video element they drive, the camera, the state
// callback for the tile's overlay, and play/pause/speed.

export class PlayerBase {
  // video (borrowed); camera id; onState(state, text) for the overlay.
  constructor(video, camera, onState = () => {}) {
    this.video = video;
    this.camera = camera;
    this.onState = onState;
    this.rate = 1;
    this.wantPlay = false;
  }

  setRate(r) {
    this.rate = r;
    this.video.playbackRate = r;
  }

  play() {
    this.wantPlay = true;
    this.video.playbackRate = this.rate;
    return this.video.play().catch(() => {});
  }

  pause() {
    this.wantPlay = false;
    this.video.pause();
  }
}

// SPDX-License-Identifier: Apache-2.0
// grid_layout.js - the shape of the playback page's grid of tiles: one
// camera fills the width, two stand side by side, 3-4 make a 2x2, 5-9 a
// 3x3, 10-16 a 4x4 (MAX_GRID cameras play together).  The columns are the
// box's data-cols (app.css draws them; phones use fewer) and the count its
// data-count.  Each square grid is as tall as one tile of the full width,
// so one max-width fits 1, 4, 9 and 16 tiles in the window.

export const MAX_GRID = 16;

// Columns for n tiles.
export function gridColumns(n) {
  if (n <= 1) return 1;
  if (n <= 4) return 2;
  if (n <= 9) return 3;
  return 4;
}

// Marks box (the .players element) for n tiles.
export function applyLayout(box, n) {
  box.dataset.count = String(n);
  box.dataset.cols = String(gridColumns(n));
}

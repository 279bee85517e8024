#pragma once
// The analysis stage (core/pipeline/analysis_stage.h) alone, with no network: this thread plays
// fetch (numbering each batch in its tile, then sending it on a channel) and submit (receiving the
// outcomes), with as many batches in flight as a run keeps. It measures what an end-to-end run
// cannot show: the channels and the tile sequencer cost tens of nanoseconds of their own code a
// batch (a few microseconds with the threads' hand-offs) against several hundred microseconds for
// the HTTP path, so a 3x slowdown of either is lost in an end-to-end run's noise.

namespace lpbf::perf {

struct StageTimes {
  // Seconds per batch, each the best of the rounds, the three configurations alternating:
  double channels_s = 0;     // transport only (every batch answered at once) on QueueChannel
  double plain_queue_s = 0;  // the same on a mutex + condition variable queue: the channels' baseline
  double sequenced_s = 0;    // QueueChannel, each batch decoded (8x8 raw TIFF), sequenced in its tile
                             // and analysed (Q1-Q3 on 8x8 pixels, next to nothing)
};

// 16 tiles, `batches` batches a round, 2 worker threads.
StageTimes measure_stage(int batches, int rounds);

// The same pieces on one thread, without waits, where their own code is nearly all of the time
// (thread CPU seconds per batch, the best of `rounds`, alternating with the baseline):
struct PieceTimes {
  double sequencer_s = 0;    // TileSequencer: assign, then complete (pairs of a tile out of order)
  double tile_lookup_s = 0;  // its baseline: a locked lookup of each batch's tile in a std::map
  double channel_s = 0;      // QueueChannel: send 64 outcomes, receive them
  double mutex_queue_s = 0;  // its baseline: the same through a mutex + condition variable queue
};
PieceTimes measure_pieces(int batches, int rounds);

}  // namespace lpbf::perf

#pragma once
// Keeps each tile's batches in order on a parallel worker pool. Batches are numbered per tile when
// they leave the reorderer (so in batch_id order); workers decode in any order, then hand the
// decoded layer here. Whoever completes the next layer of a tile runs it and every later layer
// that is already waiting; others just leave theirs. Different tiles run in parallel; a tile's
// window is only ever touched by one worker at a time.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "analysis/tile_window.h"

namespace lpbf {

struct TileKey {
  std::string print_id;
  int64_t tile_id = 0;
  auto operator<=>(const TileKey&) const = default;
};

template <class Work>
class TileSequencer {
 public:
  using Run = std::function<void(TileWindow&, Work&&)>;

  // Called in batch_id order (one thread): the batch's place in its tile's sequence.
  uint64_t assign(const TileKey& key) { return tile(key).assigned++; }

  // Work `seq` of tile `key` is ready; runs it, in order, on this thread or on whichever thread
  // is already running the tile.
  void complete(const TileKey& key, uint64_t seq, Work work, const Run& run) {
    Tile& t = tile(key);
    std::unique_lock lock(t.mutex);
    t.ready.emplace(seq, std::move(work));
    if (t.running) return;
    t.running = true;
    while (!t.ready.empty() && t.ready.begin()->first == t.next) {
      Work w = std::move(t.ready.begin()->second);
      t.ready.erase(t.ready.begin());
      lock.unlock();
      run(t.window, std::move(w));
      lock.lock();
      ++t.next;
    }
    t.running = false;
  }

 private:
  struct Tile {
    std::mutex mutex;
    uint64_t assigned = 0;  // next seq to hand out (assigning thread only)
    uint64_t next = 0;      // next seq to run
    bool running = false;
    std::map<uint64_t, Work> ready;
    TileWindow window;
  };

  Tile& tile(const TileKey& key) {
    std::lock_guard lock(tiles_mutex_);
    auto& slot = tiles_[key];
    if (!slot) slot = std::make_unique<Tile>();
    return *slot;
  }

  std::mutex tiles_mutex_;
  std::map<TileKey, std::unique_ptr<Tile>> tiles_;
};

}  // namespace lpbf

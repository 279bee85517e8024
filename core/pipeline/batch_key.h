#pragma once
// Which batch: its id in the stream and the print and tile it is a layer of. The triple every
// per-batch record of a run starts with (the trace, the ledger's flagged windows, the recorder's
// losses, the report's rows), as their common base: `record.batch_id` reads as before, and one
// assignment copies the key. The wire and file mirrors (io's Batch, analysis's TileResult, the
// manifest's entries) keep their own fields, in their formats' order.
#include <cstdint>
#include <string>

#include "io/batch.h"

namespace lpbf {

struct BatchKey {
  int64_t batch_id = -1;
  std::string print_id;
  int64_t tile_id = 0;
  bool operator==(const BatchKey&) const = default;
};

inline BatchKey key_of(const Batch& b) { return {b.batch_id, b.print_id, b.tile_id}; }

}  // namespace lpbf

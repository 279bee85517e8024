#pragma once
// The wire format of SPEC §1: batch maps (challenger -> solution) and result maps (solution ->
// challenger) in msgpack. Decoding never throws: a truncated or mistyped map is an error value
// naming the field.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "analysis/tile_result.h"
#include "io/batch.h"

namespace lpbf {

std::string encode_batch(const Batch& batch);
std::string encode_result(const TileResult& result);

struct DecodedBatch {
  Batch batch;
  std::string error;  // empty on success
  bool id_known = false;  // batch.batch_id was read (even if a later field failed)
  bool ok() const { return error.empty(); }
};
// The batch's TIFF stays inside `bytes`, shared, not copied.
DecodedBatch decode_batch(std::shared_ptr<const ByteBuffer> bytes);
// Copies `bytes` first: for bytes the caller keeps.
DecodedBatch decode_batch(std::span<const uint8_t> bytes);

struct DecodedResult {
  TileResult result;
  std::string error;
  bool ok() const { return error.empty(); }
};
DecodedResult decode_result(std::span<const uint8_t> bytes);

// What an analysis worker sends back over Kafka for one batch: its result, or why it failed.
// Wire: a msgpack array [batch_id, error string ("" when answered), result map or nil].
std::string encode_outcome(int64_t batch_id, const TileResult* result, const std::string& error);
struct DecodedOutcome {
  int64_t batch_id = -1;
  std::optional<TileResult> result;
  std::string error;         // the batch's failure, as the worker reported it
  std::string decode_error;  // the message itself was unreadable
};
DecodedOutcome decode_outcome(std::span<const uint8_t> bytes);

}  // namespace lpbf

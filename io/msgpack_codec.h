#pragma once
// The wire format of SPEC §1: batch maps (challenger -> solution) and result maps (solution ->
// challenger) in msgpack. Decoding never throws: a truncated or mistyped map is an error value
// naming the field.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analysis/tile_result.h"
#include "io/batch.h"

namespace lpbf {

std::string encode_batch(const Batch& batch);
// A batch map up to its TIFF: every field but the tif's bytes, which are last (SPEC §1's order),
// so `encode_batch_head(...) + tif` is encode_batch's map. Lets a server send a TIFF file after the
// head with sendfile(2), or read it into the reply after the head (core/challenger/served_dataset.cpp).
std::string encode_batch_head(int64_t batch_id, const std::string& print_id, int64_t tile_id, int64_t layer,
                              uint32_t tif_bytes);
std::string encode_result(const TileResult& result);

struct DecodedBatch {
  Batch batch;
  std::string error;      // empty on success
  bool id_known = false;  // batch.batch_id was read (even if a later field failed)
  bool ok() const { return error.empty(); }
};
// The batch's TIFF stays inside `bytes`, shared, not copied.
DecodedBatch decode_batch(const SharedBytes& bytes);
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
// Wire: a msgpack array [batch_id, error ("" when answered), result map or nil, layer,
// [missing layers], worker]; the last three say which layers the answer's window lacked (the
// answer is then flagged) and who computed it. An older worker's 3-array is read too.
struct OutcomeOrigin {
  int64_t layer = 0;
  std::vector<int64_t> missing_layers;  // at most kMaxMissingLayers
  std::string worker;
};
inline constexpr size_t kMaxMissingLayers = 2;  // a window holds three layers: the newest is there
std::string encode_outcome(int64_t batch_id, const TileResult* result, const std::string& error,
                           const OutcomeOrigin& origin = {});
struct DecodedOutcome {
  int64_t batch_id = -1;
  std::optional<TileResult> result;
  std::string error;  // the batch's failure, as the worker reported it
  OutcomeOrigin origin;
  std::string decode_error;  // the message itself was unreadable
};
DecodedOutcome decode_outcome(std::span<const uint8_t> bytes);

}  // namespace lpbf

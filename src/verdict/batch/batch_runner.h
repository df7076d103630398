// Streams records through the runtime's batcher: the caller's thread reads and tokenizes while
// the compute thread runs token-budgeted, padding-free batches; a bounded window of chunks is in
// flight, and results come back to the sink in input order. Memory is bounded by the window
// (chunk_rows x max_chunks_in_flight records), not by the file.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "verdict/batch/record_reader.h"
#include "verdict/model/postprocess.h"
#include "verdict/runtime/pipeline.h"

namespace verdict::batch {

struct RunOptions {
  runtime::ClassifyOptions classify;
  // Count invalid rows (missing field, bad UTF-8, bad JSON, too long with truncation off) and go
  // on, instead of stopping at the first one.
  bool skip_invalid = false;
  size_t chunk_rows = 256;
  size_t max_chunks_in_flight = 16;
};

struct RunStats {
  size_t rows = 0;     // classified and handed to the sink
  size_t skipped = 0;  // invalid rows (with skip_invalid)
  std::vector<std::string> first_skipped;  // the first few reasons, for the summary
};

// Every label sorted by score, descending (the first is the prediction).
using RowSink = std::function<Status(const Record&, const std::vector<model::LabelScore>&)>;
// Checks a record as it is read; an error stops the run (e.g. a label the model does not know).
using RowCheck = std::function<Status(const Record&)>;
// After each chunk handed to the sink: rows so far, input bytes those rows covered.
using ProgressFn = std::function<void(size_t rows, uint64_t bytes)>;

// On an error, the rows before it have been handed to the sink.
Result<RunStats> run_batch(runtime::Pipeline& pipeline, RecordReader& reader, const RunOptions& options,
                           const RowSink& sink, const RowCheck& check = {}, const ProgressFn& progress = {});

}  // namespace verdict::batch

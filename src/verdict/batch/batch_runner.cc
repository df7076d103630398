#include "verdict/batch/batch_runner.h"

#include <deque>
#include <future>

#include "verdict/runtime/batcher.h"

namespace verdict::batch {
namespace {

constexpr size_t kMaxSkippedReasons = 5;
// A chunk also closes at this much text, so a window of long records stays small.
constexpr size_t kChunkTextBytes = size_t{4} << 20;

struct Chunk {
  std::vector<Record> records;
  std::future<runtime::RequestOutcome> outcome;
};

}  // namespace

Result<RunStats> run_batch(runtime::Pipeline& pipeline, RecordReader& reader, const RunOptions& options,
                           const RowSink& sink, const RowCheck& check, const ProgressFn& progress) {
  RunStats stats;
  runtime::BatcherConfig config;
  config.max_batch_tokens = options.classify.max_batch_tokens;
  // The window bounds what is in flight; the batcher's own count lags by a request (it releases
  // the slot just after the callback that lets this thread go on), so leave it room.
  config.max_concurrent_requests = 2 * options.max_chunks_in_flight + 2;
  // Declared before the window: its destructor (which drains it) must run after the window's
  // futures are gone or answered, and it must outlive every callback.
  runtime::Batcher batcher(pipeline.model(), config);
  std::deque<Chunk> window;
  const auto& model_config = pipeline.config();
  const auto function = options.classify.function;

  auto drain_front = [&]() -> Status {
    Chunk chunk = std::move(window.front());
    window.pop_front();
    auto outcome = chunk.outcome.get();
    if (!outcome.logits.ok()) return outcome.logits.error();
    for (size_t i = 0; i < chunk.records.size(); ++i) {
      const auto scores = model::score_labels((*outcome.logits)[i], model_config, function);
      if (auto st = sink(chunk.records[i], scores); !st.ok()) return st;
      ++stats.rows;
    }
    if (progress && !chunk.records.empty()) progress(stats.rows, chunk.records.back().end_offset);
    return {};
  };
  auto finish = [&](Status status) -> Result<RunStats> {
    // Rows read before the error still reach the sink, in order.
    while (!window.empty()) {
      auto st = drain_front();
      if (status.ok() && !st.ok()) status = st;
    }
    if (!status.ok()) return status.error();
    return stats;
  };
  auto invalid = [&](const Error& e) -> bool {
    if (!options.skip_invalid) return false;
    ++stats.skipped;
    if (stats.first_skipped.size() < kMaxSkippedReasons) stats.first_skipped.push_back(e.message);
    return true;
  };

  bool at_end = false;
  Chunk chunk;
  std::vector<tokenizer::Encoding> encodings;
  auto submit = [&] {
    if (chunk.records.empty()) return;
    auto promise = std::make_shared<std::promise<runtime::RequestOutcome>>();
    chunk.outcome = promise->get_future();
    batcher.submit(std::move(encodings), [promise](runtime::RequestOutcome o) { promise->set_value(std::move(o)); });
    window.push_back(std::move(chunk));
    chunk = Chunk{};
    encodings.clear();
  };
  // The rows read before an error are still classified and handed over.
  auto stop = [&](Status status) {
    submit();
    return finish(std::move(status));
  };
  while (!at_end) {
    size_t text_bytes = 0;
    while (chunk.records.size() < options.chunk_rows && text_bytes < kChunkTextBytes) {
      Record record;
      auto got = reader.next(&record);
      if (!got.ok()) {
        if (reader.recoverable() && invalid(got.error())) continue;
        return stop(got.error());
      }
      if (!*got) {
        at_end = true;
        break;
      }
      if (check) {
        if (auto st = check(record); !st.ok()) return stop(st);
      }
      const runtime::TextInput input{record.text, std::nullopt};
      auto enc = pipeline.encode(std::span(&input, 1), options.classify.truncate);
      if (!enc.ok()) {
        // "input 0: <reason>" -> the file's terms.
        std::string reason = enc.error().message;
        if (reason.rfind("input 0: ", 0) == 0) reason = reason.substr(9);
        const Error e = make_error(ErrorCode::kInvalidArgument, reader.options().source_name + " line " +
                                                                    std::to_string(record.line) + ", field \"" +
                                                                    reader.options().text_column + "\": " + reason);
        if (invalid(e)) continue;
        return stop(e);
      }
      text_bytes += record.text.size();
      encodings.push_back(std::move((*enc)[0]));
      chunk.records.push_back(std::move(record));
    }
    submit();
    // Hand back what is done without waiting; wait only when the window is full.
    while (!window.empty() &&
           (window.size() > options.max_chunks_in_flight ||
            window.front().outcome.wait_for(std::chrono::seconds(0)) == std::future_status::ready)) {
      if (auto st = drain_front(); !st.ok()) return finish(st);
    }
  }
  return finish({});
}

}  // namespace verdict::batch

// A BERT-family encoder with its sequence-classification head: ids in, logits out.
// DistilBERT and BERT share this code; their differences are data (names, token types, head).
#pragma once

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/common/huge_pages.h"
#include "verdict/kernels/attention.h"
#include "verdict/kernels/linear.h"
#include "verdict/model/batch.h"
#include "verdict/model/config.h"
#include "verdict/model/weights.h"

namespace verdict::model {

// How the background packing of fp32 weights ended (see ModelOptions::defer_packing).
struct PackingReport {
  double milliseconds = 0;  // from start_packing() to the in-place pages being handed back
  size_t bytes = 0;         // packed weights made
  std::string error;        // empty on success; else the layers not packed stay in place
};

struct ModelOptions {
  // Precision of the encoder's linear layers; embeddings, LayerNorm and the classification head
  // stay f32 (attention: attention_precision). kF32 gives the pipeline's answers (golden tolerance).
  kernels::Precision precision = kernels::Precision::kF32;
  // Precision of the query/key/value projections, if not `precision`'s. Attention scores multiply
  // the errors of q and k: on the full-size random model, int8 q/k/v alone cause most of int8's
  // label flips (bf16 q/k/v with int8 elsewhere: 97.6% agreement instead of 95.3%).
  std::optional<kernels::Precision> qkv_precision;
  // qkv_precision applies to this many leading layers; later layers' q/k/v take `precision`.
  // Errors made early are carried and amplified through every layer after: on the full-size random
  // model bf16 q/k/v in the first layer alone recover most of what bf16 q/k/v everywhere do
  // (97.2 % agreement against 97.6 %; none: 95.6 %; the last three: 95.7 %).
  size_t qkv_precision_layers = std::numeric_limits<size_t>::max();
  // Precision of attention's two products (kF32 or kBF16; kernels::Attention), for sequences
  // inside packed batches and past 64 tokens. options_for_dtype: kBF16 for bf16, int8 and auto
  // where bf16 runs (twice as fast; agreement with fp32 unchanged within noise), unless
  // VERDICT_ATTENTION=fp32 (a diagnostic switch).
  kernels::Precision attention_precision = kernels::Precision::kF32;
  // With bf16/int8: an input whose top two logits are closer than this is computed again in fp32
  // (by a second, fp32 copy of the encoder on the same mapped weights) and answered from that;
  // 0 never. A close call is where 8-bit noise flips labels; the rest keep the fast answer.
  float recheck_margin = 0;
  // fp32 where the layers pack their weights (AVX2, see kernels::Linear): construct on the
  // weights in place, at once, and leave packing to start_packing(), which runs it on a
  // background thread one layer at a time while forward() keeps serving. Saves a server ~100 ms
  // of start-up (most of it the kernel backing 170 MB of fresh memory). Both routes are exact
  // fp32. No effect where layers do not copy their weights, or for bf16/int8 (no in-place route).
  bool defer_packing = false;
};

// "fp32" | "bf16" | "int8" | "auto". auto: the fastest path whose labels agree with fp32's on
// >= 99.5% of texts (measured by `verdict dev accuracy` on the full-size random model, where any
// 8-bit noise flips 5-7% of labels): int8 with an fp32 recheck of close calls. Where bf16 runs,
// the first layer's q/k/v in bf16 and recheck_margin 0.5 (99.7% agreement, ~10% rechecked); else 1.0 with 8-bit
// activations (99.8%, ~21%), 1.5 with AVX2's 7-bit ones (99.8%, ~31%); fp32 below AVX2.
Result<ModelOptions> options_for_dtype(std::string_view name);

class SequenceClassifier {
 public:
  // Reads config.json and model.safetensors (else pytorch_model.bin) of a model folder and
  // validates both.
  // kUnsupported when options ask for a precision this CPU cannot run.
  static Result<std::unique_ptr<SequenceClassifier>> load(const std::filesystem::path& model_dir,
                                                          const ModelOptions& options = {});
  static Result<std::unique_ptr<SequenceClassifier>> create(ModelConfig config,
                                                            std::unique_ptr<WeightStore> weights,
                                                            const ModelOptions& options = {});
  ~SequenceClassifier();

  const ModelConfig& config() const { return config_; }
  const WeightStore& weights() const { return *store_; }
  kernels::Precision precision() const { return options_.precision; }
  kernels::Precision qkv_precision() const { return options_.qkv_precision.value_or(options_.precision); }
  // How many leading layers compute q/k/v in qkv_precision() (the rest: precision()).
  size_t qkv_precision_layers() const {
    const size_t layers = store_->weights().layers.size();
    return qkv_precision() == precision() ? layers : std::min(options_.qkv_precision_layers, layers);
  }
  kernels::Precision attention_precision() const { return options_.attention_precision; }
  float recheck_margin() const { return reference_ ? options_.recheck_margin : 0.f; }
  // The fp32 copy that rechecks close calls (ModelOptions::recheck_margin), or null.
  SequenceClassifier* reference() { return reference_.get(); }
  // Inputs answered by the fp32 recheck so far.
  uint64_t rechecked() const { return rechecked_.load(std::memory_order_relaxed); }

  // With ModelOptions::defer_packing: packs the layers on a background thread; forward() takes
  // each packed layer from its next call on. `on_packed` is called once, on that thread, when it
  // ends (before wait_for_packing() returns; not if the model is destroyed first). Does nothing
  // when there is nothing to pack or packing has started. Call from the thread that owns the model.
  void start_packing(std::function<void(const PackingReport&)> on_packed = {});
  // With ModelOptions::defer_packing: packs the layers now, on the calling thread and its
  // compute pool (after start_packing(): waits for it). For a caller about to do enough work.
  void pack();
  // Blocks until background packing (if started) has ended; true if every layer is packed.
  bool wait_for_packing() const;

  // Logits [batch.size(), num_labels], row-major. kInvalidArgument for ids outside the
  // vocabulary, empty or over-long sequences. Not thread-safe (reuses its workspace).
  Result<std::vector<float>> forward(const Batch& batch);

  // forward() in its two steps, for a caller that answers the clear calls before the close ones:
  // a pass of this model's own precision; the rows of its logits that the recheck would compute
  // again (none without one); and their fp32 logits, [rows.size(), num_labels], in that order.
  Result<std::vector<float>> forward_once(const Batch& batch);
  std::vector<size_t> close_calls(const std::vector<float>& logits) const;
  Result<std::vector<float>> recheck(const Batch& batch, const std::vector<size_t>& rows);

 private:
  // f32 layers use the mapped weights in place (separate query/key/value). Converted layers
  // cost a copy anyway, so their projections are fused: one qkv product per layer, and a kv
  // product in the last layer, whose query is needed for [CLS] only.
  struct Layer {
    std::optional<kernels::Linear> qkv, kv, query, key, value;
    kernels::Linear attention_output, ffn_in, ffn_out;
  };
  SequenceClassifier(ModelConfig config, std::shared_ptr<WeightStore> weights, const ModelOptions& options);
  // Layer l with weights converted/packed (convert) or used in place.
  Layer make_layer(size_t l, bool convert, std::vector<float>& staging) const;
  void release_layer_weights(size_t l) const;
  void pack_layers();  // pack() or the background thread of start_packing()
  const Layer& layer(size_t l, size_t packed_layers) const {
    return l < packed_layers ? *layers_[l] : in_place_[l];
  }
  // Projects rows of `x` to q|k|v (or k|v only) columns of `out` (row stride 3 * hidden); from
  // `xq`, x already quantised, when given (the projections are then int8).
  void project(const Layer& layer, const float* x, const kernels::QuantizedRows* xq, size_t rows, float* out,
               bool keys_and_values_only) const;
  // The layer's key/value projection (q/k/v where fused) if it is int8, else null: then the
  // rows it reads are quantised by the LayerNorm before it.
  static const kernels::Linear* int8_projection(const Layer& layer);
  // The rest of a layer after attention, on `rows` rows: x += ctx's output projection, LayerNorm,
  // x += feed-forward, LayerNorm. When `next` (an int8 layer) reads x next, the last LayerNorm
  // also quantises x for it into next_input.
  void finish_layer(const Layer& layer, const EncoderLayerWeights& w, const float* ctx, float* x, size_t rows,
                    const kernels::Linear* next, const kernels::QuantizedRows& next_input);
  // finish_layer() as row tasks (int8 layers that run on one thread, large batches): each task
  // takes kernels::task_rows(rows) rows through all three products and both LayerNorms on one thread.
  void finish_layer_in_tasks(const Layer& layer, const EncoderLayerWeights& w, const float* ctx, float* x,
                             size_t rows, const kernels::Linear* next, const kernels::QuantizedRows& next_input);
  // x += feed_forward(x) for `rows` rows, in chunks, so the intermediate activations (4x wider
  // than the hidden state) take a fixed buffer instead of one that grows with the batch. `xq`:
  // x already quantised (int8 layers), or null; `done` runs on x's rows once they are final.
  void feed_forward(const Layer& layer, float* x, const kernels::QuantizedRows* xq, size_t rows,
                    kernels::RowsDone done);
  // Grow-only buffers for `rows` quantised hidden states.
  kernels::QuantizedRows quantized_hidden(size_t slot, size_t rows);
  Status validate(const Batch& batch) const;
  void embed(const Batch& batch);

  ModelConfig config_;
  std::shared_ptr<WeightStore> store_;  // shared with reference_
  ModelOptions options_;
  std::unique_ptr<SequenceClassifier> reference_;
  std::atomic<uint64_t> rechecked_{0};
  // layers_[l] is set once ready_layers_ > l; until then (background packing) forward() uses
  // in_place_[l]. Layers are made in order, so one count says which are ready.
  std::vector<std::optional<Layer>> layers_;
  std::vector<Layer> in_place_;
  std::atomic<size_t> ready_layers_{0};
  // forward() calls that may still read in-place weights: the packer hands those pages back
  // only once none is running (a page read after that would only come back from the file).
  std::atomic<int> in_place_readers_{0};
  std::atomic<bool> stop_packing_{false};
  std::atomic<bool> packing_done_{true};
  std::function<void(const PackingReport&)> on_packed_;
  bool packing_started_ = false;  // by the owner's thread
  std::thread packer_;
  kernels::Attention attention_;
  kernels::Linear pre_head_, classifier_;
  // Workspace, grow-only; on huge pages once a buffer reaches 2 MB.
  HugePageVector<float> hidden_, qkv_, context_, ffn_, cls_, pooled_, cls_query_, cls_context_;
  HugePageVector<uint8_t> ffn_quantized_;  // int8: the feed-forward intermediate, quantised
  HugePageVector<float> ffn_scale_;
  HugePageVector<int32_t> ffn_zero_;
  // int8: the hidden state quantised by a LayerNorm for the product after it ([0]: the
  // feed-forward's input, [1]: the next layer's projections').
  HugePageVector<uint8_t> hidden_quantized_[2];
  HugePageVector<float> hidden_scale_[2];
  HugePageVector<int32_t> hidden_zero_[2];
};

}  // namespace verdict::model

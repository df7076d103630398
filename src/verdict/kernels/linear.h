// y = act(x · Wᵀ + b) [+ y], the linear layer of every transformer block, through oneDNN.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "verdict/common/error.h"

namespace verdict::kernels {

enum class PostOp { kNone, kGeluErf, kGeluTanh, kRelu, kTanh };

// How a layer's matrix product is computed. Activations in and out are always f32.
//  kF32:  exact (the pipeline's answers). Weights packed once where oneDNN's f32 matmul has no
//         blocked kernel (AVX2: the 1x1-convolution route), else used in place.
//  kBF16: weights converted to bf16 once, activations rounded to bf16 per call; needs a CPU with
//         bf16 instructions (AVX512-BF16, AMX).
//  kInt8: weights quantised once per output channel (symmetric s8), activations per token
//         (asymmetric u8) at each call; s32 accumulation, dequantised with bias and post-op.
enum class Precision { kF32, kBF16, kInt8 };

// kF32 only: kInPlace keeps the caller's weights even where packing them would be faster, for a
// model that serves on them while its packed layers are being made (ModelOptions).
enum class WeightUse { kBest, kInPlace };
std::string_view precision_name(Precision p);
Result<Precision> parse_precision(std::string_view name);  // "fp32" | "bf16" | "int8"
// OK when this CPU (after any ISA cap) runs `p` with real instructions, else why not.
Status precision_supported(Precision p);
// How this CPU computes `p`'s linear layers, for logs and `verdict info`: the route and
// oneDNN's kernel, e.g. "matmul per row count (brg:avx512_core_vnni)".
std::string kernel_route(Precision p);
// Bits of an int8 layer's activations: 8 where products take full-range u8 (VNNI, AMX), 7 where
// vpmaddubsw's 16-bit sums would saturate (AVX2 without VNNI, SSE4.1).
int int8_activation_bits();

// Most rows of a single-threaded int8 product (Linear::runs_on_one_thread): what a caller's row
// tasks should hold at most, so that each is one product per layer.
constexpr size_t kTaskRows = 64;
// int8 on the matmul route: from this many rows a product goes as row tasks, each a single-
// threaded product of at most kTaskRows rows followed at once by its epilogue on the same
// thread, handed out one at a time: one fork instead of two per 256 rows, no thread waiting at a
// barrier for the other, the accumulators still in L2 for the epilogue (with the model's tasks
// in finish_layer_in_tasks, A/B on Zen 4: mixed batches +8 %; from 64 rows instead: 64- and
// 128-token passes 8 % / 2 % slower). Below it oneDNN splits each product's columns over the
// pool, which suits batch-1 passes of a few rows.
// (Also where SequenceClassifier takes a layer after attention as row tasks.)
constexpr size_t kTaskMinRows = 256;
// Rows per row task for a product (or a model's layer) of `rows` rows: kNarrowTaskRows, or
// kTaskRows from kWideTaskMinRows rows (on two threads, eight tasks a thread or more to even out
// the last ones).
// A/B on Zen 5 (int8): 64-row tasks for every batch gave mixed batches of 32 +1.0 % (10/10)
// and +3.6 % (6/6), but batches of 8 and 4 (~500 and ~260 rows) -0.9 % and -1.2 % (1/6 each);
// on Zen 4 mixed batches of 32 were even.
constexpr size_t kNarrowTaskRows = 32;
constexpr size_t kWideTaskMinRows = 1024;
constexpr size_t task_rows(size_t rows) { return rows >= kWideTaskMinRows ? kTaskRows : kNarrowTaskRows; }

// Activation rows quantised for kInt8 layers: row r is ≈ scale[r] * (values[r, :] - zero[r]).
struct QuantizedRows {
  uint8_t* values;  // [rows, features]
  float* scale;     // [rows]
  int32_t* zero;    // [rows]
  // The rows from `first` on, of rows `features` wide.
  QuantizedRows from_row(size_t first, size_t features) const {
    return {values + first * features, scale + first, zero + first};
  }
};

// What a caller runs on each block of a layer's finished output rows [begin, end) (rows of the
// whole call), on the thread that wrote them, while they are still in its cache: how a model fuses
// the steps that follow a product (LayerNorm, quantising for the next product) into its epilogue
// instead of going over the rows again in forks of their own. A non-owning reference to a
// callable, so that passing one allocates nothing.
class RowsDone {
 public:
  RowsDone() = default;
  template <class F>
  RowsDone(const F& f)  // NOLINT(google-explicit-constructor): passed as a lambda
      : object_(&f), call_([](const void* o, size_t b, size_t e) { (*static_cast<const F*>(o))(b, e); }) {}
  explicit operator bool() const { return call_ != nullptr; }
  void operator()(size_t begin, size_t end) const { call_(object_, begin, end); }

 private:
  const void* object_ = nullptr;
  void (*call_)(const void*, size_t, size_t) = nullptr;
};

// Weights come in PyTorch layout [out_features, in_features]. When copies_weights(precision)
// (and the WeightUse is kBest) they are converted/packed in the constructor and never read again; else they are used in
// place and the caller keeps them alive. Thread-compatible: forward() may not run concurrently
// on one instance.
class Linear {
 public:
  // accumulate: y += x · Wᵀ + b (the residual connection) instead of y = …; post_op applies
  // before accumulation.
  // For kBF16/kInt8 the weights are converted (and packed in the layout the CPU's kernels
  // prefer) here, and `weight` need not outlive the constructor. Check precision_supported()
  // first: an unsupported precision throws.
  Linear(const float* weight, const float* bias, size_t out_features, size_t in_features,
         PostOp post_op = PostOp::kNone, bool accumulate = false, Precision precision = Precision::kF32,
         WeightUse use = WeightUse::kBest);
  ~Linear();
  Linear(Linear&&) noexcept;
  Linear& operator=(Linear&&) noexcept;

  // x: [rows, in_features] row-major; y: [rows, out_features] with rows `y_stride` floats
  // apart (0: out_features), so outputs can land in a column slice of a wider matrix.
  // `done` (optional) runs on the finished output rows, as RowsDone says.
  void forward(const float* x, size_t rows, float* y, size_t y_stride = 0, RowsDone done = {}) const;

  // kInt8 only. Two int8 layers in a row (the feed-forward) hand over their activations already
  // quantised: the first writes each output row straight into `out` (in_features of the next
  // layer wide), so its f32 rows never go through memory; the second takes them as they are.
  // Same answers as forward() into f32 and forward() from it. Not with accumulate.
  // forward_quantized() takes them quantised and hands them on quantised.
  void forward_quantized_output(const float* x, size_t rows, const QuantizedRows& out) const;
  void forward_quantized_input(const QuantizedRows& in, size_t rows, float* y, size_t y_stride = 0,
                               RowsDone done = {}) const;
  void forward_quantized(const QuantizedRows& in, size_t rows, const QuantizedRows& out) const;
  // kInt8: quantises rows of this layer's input as forward() does, on the calling thread, for a
  // caller that hands them to forward_quantized_input() / forward_quantized() later.
  void quantize_input_rows(const float* x, size_t rows, const QuantizedRows& out) const;

  // Whether calls inside a parallel region of the caller (its own row tasks, rows at most
  // kTaskRows a call for speed) run correctly on the calling thread alone: kInt8 on CPUs where
  // oneDNN has blocked int8 kernels. Else a call must come from outside parallel regions.
  bool runs_on_one_thread() const;

  // Whether layers of this precision copy their weights on this CPU (see the class comment).
  static bool copies_weights(Precision precision);

  size_t out_features() const { return out_; }
  size_t in_features() const { return in_; }
  Precision precision() const { return precision_; }
  // Bytes of converted weights this layer owns (0 when it uses the caller's).
  size_t owned_weight_bytes() const;

 private:
  struct Impl;
  // kInt8: q · Wqᵀ in s32, in calls of at most a few hundred rows; finish(first_row, rows, acc)
  // gets each call's accumulators ([rows, out_features]) while they are still in cache.
  template <class Finish>
  void int8_product(const uint8_t* q, size_t rows, Finish&& finish) const;
  // The per-row-count routes (linear.cc): call(first_row, rows, primitive) per call of at most
  // a few hundred rows.
  template <class Call>
  void for_each_rows_call(size_t rows, Call&& call) const;
  // kInt8: rows [first_row, first_row + rows) of q · Wqᵀ on this thread, in calls of at most
  // kTaskRows rows, each handed to finish as int8_product does.
  template <class Finish>
  void product_on_this_thread(const uint8_t* q, size_t first_row, size_t rows, Finish&& finish) const;
  // x: f32 rows, or bf16 for kBF16.
  void forward_on_rows_route(const void* x, size_t rows, float* y, size_t y_stride, RowsDone done) const;
  // kInt8: x quantised per row into this thread's scratch.
  QuantizedRows quantize_input(const float* x, size_t rows) const;
  std::unique_ptr<Impl> impl_;
  size_t out_ = 0, in_ = 0;
  Precision precision_ = Precision::kF32;
};

}  // namespace verdict::kernels

#include "verdict/model/sequence_classifier.h"

#include <algorithm>
#include <chrono>
#include <span>

#include "verdict/common/thread_name.h"
#include "verdict/kernels/cpu.h"
#include "verdict/kernels/layer_norm.h"
#include "verdict/kernels/row_tasks.h"
#include "verdict/model/postprocess.h"

namespace verdict::model {
namespace {

kernels::PostOp ffn_post_op(Activation act) {
  switch (act) {
    case Activation::kGelu: return kernels::PostOp::kGeluErf;
    case Activation::kGeluTanh: return kernels::PostOp::kGeluTanh;
    case Activation::kRelu: return kernels::PostOp::kRelu;
  }
  return kernels::PostOp::kGeluErf;
}

// The head's layers: small, f32, packed where that is faster.
kernels::Linear make_linear(const LinearWeights& w, size_t out, size_t in, kernels::PostOp op = kernels::PostOp::kNone) {
  return kernels::Linear(w.weight, w.bias, out, in, op);
}

// One linear layer from several stacked along the output dimension (e.g. q, k, v). Parts
// without a bias get zeros when another part has one. `weight` is the caller's staging buffer,
// reused from layer to layer: a fresh 7 MB one per layer was ~1,800 page faults each at load.
kernels::Linear make_fused(std::initializer_list<const LinearWeights*> parts, size_t out_each, size_t in,
                           kernels::Precision precision, std::vector<float>& weight) {
  std::vector<float> bias;
  weight.clear();
  weight.reserve(parts.size() * out_each * in);
  bool any_bias = false;
  for (const auto* p : parts) any_bias = any_bias || p->bias;
  for (const auto* p : parts) {
    weight.insert(weight.end(), p->weight, p->weight + out_each * in);
    if (p->bias) bias.insert(bias.end(), p->bias, p->bias + out_each);
    else bias.insert(bias.end(), out_each, 0.f);
  }
  return kernels::Linear(weight.data(), any_bias ? bias.data() : nullptr, parts.size() * out_each, in,
                         kernels::PostOp::kNone, false, precision);
}

template <class T>
T* grow(HugePageVector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

// Rows per feed-forward chunk: matrix products of this many rows already run at full speed
// (fp32 and int8), and the intermediate buffer stays 3 MB (DistilBERT) whatever the batch.
constexpr size_t kFeedForwardRows = 256;

// LayerNorm of rows [b, e) of x (rows first + b .. of the pass), quantised into q for `reader`'s
// int8 product when there is one: what each LayerNorm runs in the epilogue of the product before it.
auto norm_rows(float* x, size_t first, size_t D, float eps, const LayerNormWeights& norm,
               const kernels::Linear* reader, const kernels::QuantizedRows& q) {
  return [=, &norm](size_t b, size_t e) {
    kernels::layer_norm(x + b * D, norm.gamma, norm.beta, x + b * D, e - b, D, eps);
    if (reader) reader->quantize_input_rows(x + b * D, e - b, q.from_row(first + b, D));
  };
}

// bf16 attention products where the CPU has them (ModelOptions::attention_precision).
kernels::Precision fast_attention() {
  if (const char* e = std::getenv("VERDICT_ATTENTION"); e && std::string_view(e) == "fp32")
    return kernels::Precision::kF32;
  return kernels::precision_supported(kernels::Precision::kBF16).ok() ? kernels::Precision::kBF16
                                                                      : kernels::Precision::kF32;
}

}  // namespace

Result<ModelOptions> options_for_dtype(std::string_view name) {
  ModelOptions options;
  if (name == "auto") {
    if (!kernels::effective_isa_at_least("avx2")) return options;  // int8 unmeasured there: stay exact
    options.precision = kernels::Precision::kInt8;
    if (kernels::precision_supported(kernels::Precision::kBF16).ok()) {
      // bf16 q/k/v in the first layer only: on the full-size random model 99.67 % agreement at
      // margin 0.5 (10.3 % rechecked), against 99.93 % with bf16 q/k/v in every layer, for a fast
      // pass ~14 % shorter at 32 tokens (README "Accuracy of the fast paths").
      options.qkv_precision = kernels::Precision::kBF16;
      options.qkv_precision_layers = 1;
      options.recheck_margin = 0.5f;
    } else {
      options.recheck_margin = kernels::int8_activation_bits() == 8 ? 1.0f : 1.5f;
    }
    options.attention_precision = fast_attention();
    return options;
  }
  auto precision = kernels::parse_precision(name);
  if (!precision.ok()) return precision.error();
  options.precision = *precision;
  if (options.precision != kernels::Precision::kF32) options.attention_precision = fast_attention();
  return options;
}

Result<std::unique_ptr<SequenceClassifier>> SequenceClassifier::load(const std::filesystem::path& dir,
                                                                    const ModelOptions& options) {
  auto config = load_config(dir);
  if (!config.ok()) return config.error();
  // model.safetensors first (mapped, instant), as transformers prefers it; else the torch file.
  auto path = dir / "model.safetensors";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (!std::filesystem::exists(dir / "pytorch_model.bin", ec)) {
      return make_error(ErrorCode::kNotFound,
                        path.string() + ": no such file (nor pytorch_model.bin beside it)");
    }
    path = dir / "pytorch_model.bin";
  }
  auto store = WeightStore::load(path, *config);
  if (!store.ok()) return store.error();
  return create(std::move(*config), std::move(*store), options);
}

Result<std::unique_ptr<SequenceClassifier>> SequenceClassifier::create(
    ModelConfig config, std::unique_ptr<WeightStore> weights, const ModelOptions& options) {
  if (auto st = kernels::precision_supported(options.precision); !st.ok()) return st.error();
  if (options.qkv_precision) {
    if (auto st = kernels::precision_supported(*options.qkv_precision); !st.ok()) return st.error();
  }
  if (options.attention_precision != kernels::Precision::kF32) {
    if (auto st = kernels::precision_supported(options.attention_precision); !st.ok()) return st.error();
    if (options.attention_precision == kernels::Precision::kInt8) {
      return make_error(ErrorCode::kInvalidArgument, "attention computes in fp32 or bf16, not int8");
    }
  }
  if (!(options.recheck_margin >= 0)) {
    return make_error(ErrorCode::kInvalidArgument, "recheck margin must be >= 0");
  }
  return std::unique_ptr<SequenceClassifier>(
      new SequenceClassifier(std::move(config), std::shared_ptr<WeightStore>(std::move(weights)), options));
}

SequenceClassifier::SequenceClassifier(ModelConfig config, std::shared_ptr<WeightStore> store,
                                       const ModelOptions& options)
    : config_(std::move(config)),
      store_(std::move(store)),
      options_(options),
      attention_(config_.num_heads, config_.head_dim(), options.attention_precision),
      pre_head_(make_linear(store_->weights().pre_head, config_.hidden_size, config_.hidden_size,
                            config_.architecture == Architecture::kDistilBert ? kernels::PostOp::kRelu
                                                                              : kernels::PostOp::kTanh)),
      classifier_(make_linear(store_->weights().classifier, config_.num_labels(), config_.hidden_size)) {
  if (options_.recheck_margin > 0 && options_.precision != kernels::Precision::kF32 && config_.num_labels() > 1) {
    ModelOptions exact;
    exact.defer_packing = options_.defer_packing;
    reference_.reset(new SequenceClassifier(config_, store_, exact));
  }
  const size_t count = store_->weights().layers.size();
  const bool converts =
      kernels::Linear::copies_weights(options_.precision) || kernels::Linear::copies_weights(qkv_precision());
  layers_.resize(count);
  std::vector<float> staging;  // fused q/k/v weights on their way to being packed
  if (converts && options_.defer_packing && options_.precision == kernels::Precision::kF32) {
    for (size_t l = 0; l < count; ++l) in_place_.push_back(make_layer(l, false, staging));
    return;  // start_packing() makes layers_
  }
  for (size_t l = 0; l < count; ++l) {
    layers_[l].emplace(make_layer(l, converts, staging));
    if (converts) release_layer_weights(l);  // the converted copies are all that is read from now on
  }
  ready_layers_.store(count);
}

SequenceClassifier::~SequenceClassifier() {
  stop_packing_.store(true);
  if (packer_.joinable()) packer_.join();
}

SequenceClassifier::Layer SequenceClassifier::make_layer(size_t l, bool convert, std::vector<float>& staging) const {
  const size_t D = config_.hidden_size, F = config_.intermediate_size;
  const auto precision = options_.precision;
  const auto use = convert ? kernels::WeightUse::kBest : kernels::WeightUse::kInPlace;
  const auto& all = store_->weights().layers;
  const auto& w = all[l];
  const auto qkv_precision = l < qkv_precision_layers() ? this->qkv_precision() : precision;
  const auto linear = [&](const LinearWeights& lw, size_t out, size_t in, kernels::PostOp op, bool accumulate) {
    return kernels::Linear(lw.weight, lw.bias, out, in, op, accumulate, precision, use);
  };
  Layer layer{{}, {}, {}, {}, {},
              linear(w.attention_output, D, D, kernels::PostOp::kNone, /*accumulate=*/true),
              linear(w.ffn_in, F, D, ffn_post_op(config_.activation), false),
              linear(w.ffn_out, D, F, kernels::PostOp::kNone, /*accumulate=*/true)};
  // Layers that copy their weights anyway get q, k, v (k, v in the last layer) as one product.
  if (!convert) {
    layer.query.emplace(linear(w.query, D, D, kernels::PostOp::kNone, false));
    layer.key.emplace(linear(w.key, D, D, kernels::PostOp::kNone, false));
    layer.value.emplace(linear(w.value, D, D, kernels::PostOp::kNone, false));
  } else if (l + 1 < all.size()) {
    layer.qkv.emplace(make_fused({&w.query, &w.key, &w.value}, D, D, qkv_precision, staging));
  } else {
    layer.query.emplace(kernels::Linear(w.query.weight, w.query.bias, D, D, kernels::PostOp::kNone, false,
                                        qkv_precision, use));
    layer.kv.emplace(make_fused({&w.key, &w.value}, D, D, qkv_precision, staging));
  }
  return layer;
}

void SequenceClassifier::release_layer_weights(size_t l) const {
  const size_t D = config_.hidden_size, F = config_.intermediate_size;
  const auto& w = store_->weights().layers[l];
  for (const auto* lw : {&w.query, &w.key, &w.value, &w.attention_output}) store_->release(lw->weight, D * D);
  store_->release(w.ffn_in.weight, F * D);
  store_->release(w.ffn_out.weight, D * F);
}

void SequenceClassifier::start_packing(std::function<void(const PackingReport&)> on_packed) {
  // Only fp32 packs in the background: with a recheck, that is the reference.
  if (in_place_.empty() && reference_) return reference_->start_packing(std::move(on_packed));
  if (in_place_.empty() || packing_started_) return;
  packing_started_ = true;
  on_packed_ = std::move(on_packed);
  packing_done_.store(false);
  packer_ = std::thread([this] {
    name_this_thread("verdict-pack");
    kernels::set_num_threads(1);  // one core: the other keeps serving on the in-place weights
    pack_layers();
  });
}

void SequenceClassifier::pack() {
  if (reference_) reference_->pack();
  if (in_place_.empty()) return;
  if (!packing_started_) {
    packing_started_ = true;
    packing_done_.store(false);
    pack_layers();
  }
  wait_for_packing();
}

void SequenceClassifier::pack_layers() {
  const auto t0 = std::chrono::steady_clock::now();
  PackingReport report;
  std::vector<float> staging;
  try {
    for (size_t l = 0; l < layers_.size() && !stop_packing_.load(); ++l) {
      layers_[l].emplace(make_layer(l, true, staging));
      report.bytes += layers_[l]->attention_output.owned_weight_bytes() + layers_[l]->ffn_in.owned_weight_bytes() +
                      layers_[l]->ffn_out.owned_weight_bytes();
      for (const auto* p : {&layers_[l]->qkv, &layers_[l]->kv, &layers_[l]->query}) {
        if (*p) report.bytes += (*p)->owned_weight_bytes();
      }
      ready_layers_.store(l + 1);
      release_layer_weights(l);  // a forward() still on them may fault some back in: see below
    }
    // Once no forward() can read the in-place weights any more, hand their pages back for good.
    while (in_place_readers_.load() > 0 && !stop_packing_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    for (size_t l = 0; l < ready_layers_.load(); ++l) release_layer_weights(l);
  } catch (const std::exception& e) {
    report.error = e.what();
  }
  staging = {};
  report.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!stop_packing_.load() && on_packed_) on_packed_(report);
  packing_done_.store(true);
  packing_done_.notify_all();
}

bool SequenceClassifier::wait_for_packing() const {
  packing_done_.wait(false);
  const bool reference_packed = !reference_ || reference_->wait_for_packing();
  return ready_layers_.load() == layers_.size() && reference_packed;
}

void SequenceClassifier::project(const Layer& layer, const float* x, const kernels::QuantizedRows* xq, size_t rows,
                                 float* out, bool keys_and_values_only) const {
  const size_t D = config_.hidden_size;
  const auto run = [&](const kernels::Linear& linear, float* y) {
    if (xq) linear.forward_quantized_input(*xq, rows, y, 3 * D);
    else linear.forward(x, rows, y, 3 * D);
  };
  if (!keys_and_values_only && layer.qkv) {
    run(*layer.qkv, out);
    return;
  }
  if (layer.kv) {
    run(*layer.kv, out + D);
  } else {
    run(*layer.key, out + D);
    run(*layer.value, out + 2 * D);
  }
  if (!keys_and_values_only) run(*layer.query, out);
}

const kernels::Linear* SequenceClassifier::int8_projection(const Layer& layer) {
  // A layer's projections share one precision and input (the last layer's query, for [CLS], is
  // not one of them), so the first one's quantising serves all.
  const kernels::Linear& first = layer.qkv ? *layer.qkv : layer.kv ? *layer.kv : *layer.key;
  return first.precision() == kernels::Precision::kInt8 ? &first : nullptr;
}

kernels::QuantizedRows SequenceClassifier::quantized_hidden(size_t slot, size_t rows) {
  return {grow(hidden_quantized_[slot], rows * config_.hidden_size), grow(hidden_scale_[slot], rows),
          grow(hidden_zero_[slot], rows)};
}

Status SequenceClassifier::validate(const Batch& batch) const {
  const auto& cu = batch.cu_seq_lengths;
  if (cu.empty() || cu.front() != 0 || cu.back() != batch.input_ids.size()) {
    return make_error(ErrorCode::kInvalidArgument, "batch: cu_seq_lengths does not cover input_ids");
  }
  if (!batch.token_type_ids.empty() && batch.token_type_ids.size() != batch.input_ids.size()) {
    return make_error(ErrorCode::kInvalidArgument, "batch: token_type_ids and input_ids differ in length");
  }
  for (size_t b = 0; b + 1 < cu.size(); ++b) {
    if (cu[b + 1] <= cu[b]) {
      return make_error(ErrorCode::kInvalidArgument, "batch: sequence " + std::to_string(b) + " is empty");
    }
    const size_t len = cu[b + 1] - cu[b];
    if (len > config_.max_sequence_length()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "input has " + std::to_string(len) + " tokens; the model accepts at most " +
                            std::to_string(config_.max_sequence_length()));
    }
  }
  for (int32_t id : batch.input_ids) {
    if (id < 0 || static_cast<size_t>(id) >= config_.vocab_size) {
      return make_error(ErrorCode::kInvalidArgument, "token id " + std::to_string(id) +
                                                         " is outside the vocabulary of " +
                                                         std::to_string(config_.vocab_size));
    }
  }
  // DistilBERT has no token types: like transformers, it ignores them.
  if (config_.type_vocab_size == 0) return {};
  const size_t types = config_.type_vocab_size;
  for (int32_t t : batch.token_type_ids) {
    if (t < 0 || static_cast<size_t>(t) >= types) {
      return make_error(ErrorCode::kInvalidArgument, "token type id " + std::to_string(t) +
                                                         " is outside [0, " + std::to_string(types) + ")");
    }
  }
  return {};
}

void SequenceClassifier::embed(const Batch& batch) {
  const size_t D = config_.hidden_size;
  const auto& w = store_->weights();
  float* h = hidden_.data();
  const bool roberta = config_.roberta_positions();
  const auto padding_idx = static_cast<size_t>(config_.pad_token_id);
  for (size_t b = 0; b < batch.size(); ++b) {
    size_t non_pad = 0;
    for (uint32_t t = batch.cu_seq_lengths[b]; t < batch.cu_seq_lengths[b + 1]; ++t) {
      const float* word = w.word_embeddings + static_cast<size_t>(batch.input_ids[t]) * D;
      // RoBERTa: padding_idx + running count of non-pad tokens; a pad token (even a literal
      // <pad> in the text, which attends like any token) sits at padding_idx.
      size_t position = t - batch.cu_seq_lengths[b];
      if (roberta) {
        position = batch.input_ids[t] == config_.pad_token_id ? padding_idx : padding_idx + ++non_pad;
      }
      const float* pos = w.position_embeddings + position * D;
      float* out = h + static_cast<size_t>(t) * D;
      for (size_t i = 0; i < D; ++i) out[i] = word[i] + pos[i];
      if (w.token_type_embeddings) {
        const size_t type = batch.token_type_ids.empty() ? 0 : static_cast<size_t>(batch.token_type_ids[t]);
        const float* tt = w.token_type_embeddings + type * D;
        for (size_t i = 0; i < D; ++i) out[i] += tt[i];
      }
    }
  }
  kernels::layer_norm(h, w.embedding_norm.gamma, w.embedding_norm.beta, h, batch.num_tokens(), D,
                      config_.layer_norm_eps);
}

void SequenceClassifier::feed_forward(const Layer& layer, float* x, const kernels::QuantizedRows* xq, size_t rows,
                                      kernels::RowsDone done) {
  const size_t D = config_.hidden_size;
  const size_t chunk = std::min(rows, kFeedForwardRows), F = config_.intermediate_size;
  // int8: the intermediate goes from one product to the next already quantised (1 byte a value).
  const bool quantised = layer.ffn_in.precision() == kernels::Precision::kInt8;
  const kernels::QuantizedRows mid = quantised ? kernels::QuantizedRows{grow(ffn_quantized_, chunk * F),
                                                                        grow(ffn_scale_, chunk), grow(ffn_zero_, chunk)}
                                               : kernels::QuantizedRows{};
  float* ffn = quantised ? nullptr : grow(ffn_, chunk * F);
  for (size_t r = 0; r < rows; r += kFeedForwardRows) {
    const size_t n = std::min(kFeedForwardRows, rows - r);
    float* part = x + r * D;  // += feed-forward output (residual)
    const auto part_done = [&](size_t b, size_t e) { done(r + b, r + e); };
    const kernels::RowsDone on_part = done ? kernels::RowsDone(part_done) : kernels::RowsDone();
    if (quantised) {
      if (xq) layer.ffn_in.forward_quantized(xq->from_row(r, D), n, mid);
      else layer.ffn_in.forward_quantized_output(part, n, mid);
      layer.ffn_out.forward_quantized_input(mid, n, part, 0, on_part);
    } else {
      layer.ffn_in.forward(part, n, ffn);
      layer.ffn_out.forward(ffn, n, part, 0, on_part);
    }
  }
}

void SequenceClassifier::finish_layer_in_tasks(const Layer& layer, const EncoderLayerWeights& w, const float* ctx,
                                               float* x, size_t rows, const kernels::Linear* next,
                                               const kernels::QuantizedRows& next_input) {
  const size_t D = config_.hidden_size, F = config_.intermediate_size;
  const float eps = config_.layer_norm_eps;
  const kernels::QuantizedRows ffn_input = quantized_hidden(0, rows);
  const auto task = [&](size_t first, size_t end) {
    const size_t n = end - first;
    float* xt = x + first * D;
    // The intermediate, quantised, never leaves this thread's L2.
    thread_local HugePageVector<uint8_t> mid_values;
    thread_local HugePageVector<float> mid_scale;
    thread_local HugePageVector<int32_t> mid_zero;
    const kernels::QuantizedRows mid{grow(mid_values, kernels::kTaskRows * F), grow(mid_scale, kernels::kTaskRows),
                                     grow(mid_zero, kernels::kTaskRows)};
    layer.attention_output.forward(ctx + first * D, n, xt, 0,
                                   norm_rows(xt, first, D, eps, w.attention_norm, &layer.ffn_in, ffn_input));
    layer.ffn_in.forward_quantized(ffn_input.from_row(first, D), n, mid);
    layer.ffn_out.forward_quantized_input(mid, n, xt, 0, norm_rows(xt, first, D, eps, w.output_norm, next, next_input));
  };
  kernels::run_row_tasks(rows, kernels::task_rows(rows), task);
}

void SequenceClassifier::finish_layer(const Layer& layer, const EncoderLayerWeights& w, const float* ctx, float* x,
                                      size_t rows, const kernels::Linear* next, const kernels::QuantizedRows& next_input) {
  if (rows >= kernels::kTaskMinRows && kernels::num_threads() > 1 && layer.attention_output.runs_on_one_thread() &&
      layer.ffn_in.runs_on_one_thread() && layer.ffn_out.runs_on_one_thread()) {
    finish_layer_in_tasks(layer, w, ctx, x, rows, next, next_input);
    return;
  }
  const size_t D = config_.hidden_size;
  const float eps = config_.layer_norm_eps;
  // Each LayerNorm runs in the epilogue of the product before it, on that product's rows while
  // they are in cache, and quantises them there for the int8 product after it: one fork of the
  // pool instead of three, no extra pass over the rows, the same numbers.
  const kernels::Linear* ffn_in = layer.ffn_in.precision() == kernels::Precision::kInt8 ? &layer.ffn_in : nullptr;
  const kernels::QuantizedRows ffn_input = ffn_in ? quantized_hidden(0, rows) : kernels::QuantizedRows{};
  // x += attention output (residual), then LayerNorm
  layer.attention_output.forward(ctx, rows, x, 0, norm_rows(x, 0, D, eps, w.attention_norm, ffn_in, ffn_input));
  // x += feed-forward (residual), then LayerNorm
  feed_forward(layer, x, ffn_in ? &ffn_input : nullptr, rows, norm_rows(x, 0, D, eps, w.output_norm, next, next_input));
}

Result<std::vector<float>> SequenceClassifier::forward(const Batch& batch) {
  auto logits = forward_once(batch);
  if (!logits.ok()) return logits;
  const auto rows = close_calls(*logits);
  if (rows.empty()) return logits;
  auto exact = recheck(batch, rows);
  if (!exact.ok()) return exact.error();
  const size_t C = config_.num_labels();
  for (size_t i = 0; i < rows.size(); ++i) std::copy_n(exact->data() + i * C, C, logits->data() + rows[i] * C);
  return logits;
}

std::vector<size_t> SequenceClassifier::close_calls(const std::vector<float>& logits) const {
  std::vector<size_t> rows;
  if (!reference_) return rows;
  const size_t C = config_.num_labels();
  for (size_t b = 0; b < logits.size() / C; ++b) {
    const float margin = top_two_margin(std::span(logits).subspan(b * C, C));
    if (!(margin >= options_.recheck_margin)) rows.push_back(b);  // a NaN margin is close too
  }
  return rows;
}

Result<std::vector<float>> SequenceClassifier::recheck(const Batch& batch, const std::vector<size_t>& rows) {
  if (!reference_) return make_error(ErrorCode::kInvalidArgument, "recheck: this model has no fp32 recheck");
  Batch close;
  for (size_t b : rows) {
    if (b >= batch.size()) return make_error(ErrorCode::kInvalidArgument, "recheck: row outside the batch");
    const size_t start = batch.cu_seq_lengths[b], len = batch.seq_len(b);
    close.add(std::span(batch.input_ids).subspan(start, len),
              batch.token_type_ids.empty() ? std::span<const int32_t>()
                                           : std::span(batch.token_type_ids).subspan(start, len));
  }
  auto exact = reference_->forward_once(close);
  if (exact.ok()) rechecked_.fetch_add(rows.size(), std::memory_order_relaxed);
  return exact;
}

Result<std::vector<float>> SequenceClassifier::forward_once(const Batch& batch) {
  if (auto st = validate(batch); !st.ok()) return st.error();
  const size_t T = batch.num_tokens(), B = batch.size();
  const size_t D = config_.hidden_size;
  if (B == 0) return std::vector<float>{};

  float* h = grow(hidden_, T * D);
  float* qkv = grow(qkv_, T * 3 * D);
  float* ctx = grow(context_, T * D);

  embed(batch);
  const auto& weights = store_->weights();
  // Which layers are packed is read once per call. The call registers as a reader of the
  // in-place weights first (seq_cst on both sides), so that the packer cannot miss it.
  in_place_readers_.fetch_add(1);
  const size_t packed = ready_layers_.load();
  struct Reader {
    std::atomic<int>* count;
    ~Reader() {
      if (count) count->fetch_sub(1);
    }
  } reader{&in_place_readers_};
  if (packed == layers_.size()) {
    in_place_readers_.fetch_sub(1);
    reader.count = nullptr;
  }
  // next_input holds h quantised for the next layer's projections (made by the last LayerNorm).
  const kernels::QuantizedRows next_input = quantized_hidden(1, T);
  bool h_quantized = false;

  // Every layer but the last runs on all tokens.
  for (size_t l = 0; l + 1 < layers_.size(); ++l) {
    const Layer& layer = this->layer(l, packed);
    const auto& w = weights.layers[l];
    project(layer, h, h_quantized ? &next_input : nullptr, T, qkv, /*keys_and_values_only=*/false);
    attention_.forward_packed(qkv, batch.cu_seq_lengths.data(), B, ctx);
    const kernels::Linear* next = int8_projection(this->layer(l + 1, packed));
    finish_layer(layer, w, ctx, h, T, next, next_input);
    h_quantized = next != nullptr;
  }

  // The head reads only the first token ([CLS]) of each sequence, so the last layer needs keys
  // and values of every token but the query, attention output and feed-forward of [CLS] only.
  float* cls = grow(cls_, B * D);
  float* pooled = grow(pooled_, B * D);
  for (size_t b = 0; b < B; ++b) {
    std::copy_n(h + static_cast<size_t>(batch.cu_seq_lengths[b]) * D, D, cls + b * D);
  }
  {
    const Layer& layer = this->layer(layers_.size() - 1, packed);
    const auto& w = weights.layers.back();
    project(layer, h, h_quantized ? &next_input : nullptr, T, qkv, /*keys_and_values_only=*/true);
    float* q = grow(cls_query_, B * D);
    float* cls_ctx = grow(cls_context_, B * D);
    layer.query->forward(cls, B, q);
    attention_.attend_first_tokens(q, qkv, batch.cu_seq_lengths.data(), B, cls_ctx);
    finish_layer(layer, w, cls_ctx, cls, B, nullptr, {});
  }
  pre_head_.forward(cls, B, pooled);
  std::vector<float> logits(B * config_.num_labels());
  classifier_.forward(pooled, B, logits.data());
  return logits;
}

}  // namespace verdict::model

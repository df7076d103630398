// Bytes as a model.safetensors file: SafetensorsFile::parse (the 8-byte header length, the
// JSON header, every tensor's range), then WeightStore::load against a tiny fixed config.
// The bytes live in a memfd, so the file is mapped exactly as a real one would be.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "verdict/model/config.h"
#include "verdict/model/safetensors.h"
#include "verdict/model/weights.h"

namespace {

using namespace verdict::model;
using verdict::fuzz::check;

// Reads every byte a tensor claims, so ASan sees any range outside the mapping.
unsigned sum_bytes(const unsigned char* p, size_t n) {
  unsigned sum = 0;
  for (size_t i = 0; i < n; ++i) sum += p[i];
  return sum;
}

float sum_floats(const float* p, size_t n) {
  float sum = 0;
  for (size_t i = 0; i < n; ++i) sum += p[i];
  return sum;
}

void check_weights(const WeightStore& store, const ModelConfig& c) {
  const ModelWeights& w = store.weights();
  const size_t d = c.hidden_size, f = c.intermediate_size;
  volatile float sink = 0;
  auto linear = [&](const LinearWeights& l, size_t out, size_t in) {
    sink = sink + sum_floats(l.weight, out * in) + sum_floats(l.bias, out);
  };
  auto norm = [&](const LayerNormWeights& n) {
    sink = sink + sum_floats(n.gamma, d) + sum_floats(n.beta, d);
  };
  sink = sink + sum_floats(w.word_embeddings, c.vocab_size * d) +
         sum_floats(w.position_embeddings, c.max_position_embeddings * d);
  if (w.token_type_embeddings) sink = sink + sum_floats(w.token_type_embeddings, c.type_vocab_size * d);
  norm(w.embedding_norm);
  check(w.layers.size() == c.num_layers, "wrong number of layers");
  for (const EncoderLayerWeights& l : w.layers) {
    for (const LinearWeights* x : {&l.query, &l.key, &l.value, &l.attention_output}) linear(*x, d, d);
    norm(l.attention_norm);
    linear(l.ffn_in, f, d);
    linear(l.ffn_out, d, f);
    norm(l.output_norm);
  }
  linear(w.pre_head, d, d);
  linear(w.classifier, c.num_labels(), d);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static verdict::fuzz::MemFile file;
  static const ModelConfig kConfig = [] {
    auto c = parse_config(verdict::fuzz::kTinyConfigJson, "tiny config");
    check(c.ok(), "the tiny config does not parse");
    return std::move(c).value();
  }();
  file.write(data, size);

  auto mapped = verdict::MappedFile::open(file.path());
  check(mapped.ok(), "cannot map the memfd");
  auto st = SafetensorsFile::parse(std::move(*mapped), "fuzz.safetensors");
  if (!st.ok()) return 0;
  // Accepted: every tensor lies in the file and its bytes match shape × dtype.
  volatile unsigned sink = 0;
  for (const auto& [name, info] : st->tensors()) {
    check(info.begin <= info.end && info.end <= size, "tensor '", name, "' outside the file");
    check(info.end - info.begin == info.num_elements() * dtype_size(info.dtype), "tensor '", name,
          "' size differs from shape × dtype");
    sink = sink + sum_bytes(st->data(info), info.end - info.begin);
  }

  auto store = WeightStore::load(file.path(), kConfig);
  if (store.ok()) check_weights(**store, kConfig);
  return 0;
}

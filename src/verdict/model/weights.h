// The tensors of a BERT-family classifier, looked up by the names transformers writes and
// checked against the shapes config.json implies. From model.safetensors, F32 tensors are used
// in place from the mapping (zero-copy); from pytorch_model.bin (read without running its
// pickle, see torch_checkpoint.h) in place from the loaded storages. F16/BF16 are converted to
// F32 once at load.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/model/config.h"
#include "verdict/model/safetensors.h"
#include "verdict/model/torch_checkpoint.h"

namespace verdict::model {

struct LinearWeights {
  const float* weight = nullptr;  // [out, in]
  const float* bias = nullptr;    // [out]
};

struct LayerNormWeights {
  const float* gamma = nullptr;
  const float* beta = nullptr;
};

struct EncoderLayerWeights {
  LinearWeights query, key, value, attention_output;
  LayerNormWeights attention_norm;
  LinearWeights ffn_in, ffn_out;
  LayerNormWeights output_norm;
};

struct ModelWeights {
  const float* word_embeddings = nullptr;        // [vocab, hidden]
  const float* position_embeddings = nullptr;    // [max_positions, hidden]
  const float* token_type_embeddings = nullptr;  // [type_vocab, hidden] or null
  LayerNormWeights embedding_norm;
  std::vector<EncoderLayerWeights> layers;
  LinearWeights pre_head;    // DistilBERT pre_classifier (ReLU) / BERT pooler / RoBERTa classifier.dense (tanh)
  LinearWeights classifier;  // [num_labels, hidden]: classifier / RoBERTa classifier.out_proj
};

// Owns the mapping and converted buffers that ModelWeights points into. Immutable.
class WeightStore {
 public:
  // `path` is a safetensors file (by its .safetensors extension) or a torch.save checkpoint.
  static Result<std::unique_ptr<WeightStore>> load(const std::filesystem::path& path,
                                                   const ModelConfig& config);
  const ModelWeights& weights() const { return weights_; }
  size_t parameter_count() const { return parameters_; }
  std::string stored_dtype() const { return stored_dtype_; }  // "F32", "F16", "BF16" or "mixed"
  // Tells the store that `floats` values at `p` (a tensor it handed out) will not be read again,
  // e.g. after a layer converted them to int8: mapped F32 pages leave RSS (they would be re-read
  // from the file if ever touched). Other storage is kept.
  void release(const float* p, size_t floats) const;

 private:
  struct RawTensor {
    DType dtype;
    std::vector<size_t> shape;
    const unsigned char* data;
  };
  bool find_raw(const std::string& name, RawTensor* out);
  Result<const float*> tensor(const std::string& name, std::vector<size_t> shape);
  Result<LinearWeights> linear(const std::string& prefix, size_t out, size_t in);
  Result<LayerNormWeights> layer_norm(const std::string& prefix, size_t dim);

  SafetensorsFile file_;
  std::unique_ptr<TorchCheckpoint> torch_;  // when loaded from pytorch_model.bin
  std::string source_;
  std::vector<std::unique_ptr<float[]>> owned_;
  ModelWeights weights_;
  ModelConfig config_;
  size_t parameters_ = 0;
  std::string stored_dtype_;
};

}  // namespace verdict::model

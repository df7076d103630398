// Request bodies of each API turned into inputs and options, or an ApiError that names the
// field. JSON types stay inside server/.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "verdict/model/postprocess.h"
#include "verdict/runtime/pipeline.h"
#include "verdict/server/api_error.h"

namespace verdict::server {

template <class T>
using Parsed = std::variant<T, ApiError>;

struct ClassifyRequest {
  std::vector<runtime::TextInput> inputs;
  bool batch = false;                   // answer with one list per input (else a single answer)
  std::optional<bool> truncate;         // nullopt: the server's --auto-truncate
  bool truncate_left = false;           // TEI's truncation_direction "left": keep the end
  model::ScoreFunction function = model::ScoreFunction::kDefault;
  std::optional<size_t> top_k;          // nullopt: every label
  std::string id;                       // KServe request id, echoed
  std::vector<std::string> outputs;     // KServe outputs asked for, in order (empty: all)
};

// Nesting deeper than this is refused before parsing (a stack-depth attack on any parser).
constexpr size_t kMaxJsonDepth = 32;

// Parses a JSON body: 400 for malformed JSON or too deep nesting.
Parsed<nlohmann::json> parse_json_body(const std::string& body);

Parsed<ClassifyRequest> parse_hf_request(const nlohmann::json& body);      // POST /
Parsed<ClassifyRequest> parse_tei_predict(const nlohmann::json& body);     // POST /predict
Parsed<ClassifyRequest> parse_kserve_infer(const nlohmann::json& body);    // POST /v2/models/{m}/infer

// TEI's /rerank: (query, text) pairs scored by a cross-encoder, answered best first.
struct RerankRequest {
  ClassifyRequest pairs;      // inputs[i] = {query, texts[i]}
  bool return_text = false;   // echo each text beside its score
};
Parsed<RerankRequest> parse_tei_rerank(const nlohmann::json& body);      // POST /rerank

struct TokenizeRequest {
  std::vector<std::string> inputs;
  bool batch = false;
  bool add_special_tokens = true;
};
Parsed<TokenizeRequest> parse_tei_tokenize(const nlohmann::json& body);    // POST /tokenize

struct ExplainRequest {
  std::string text;
  std::optional<std::string> label;  // explain this label instead of the predicted one
};
Parsed<ExplainRequest> parse_explain(const nlohmann::json& body);          // POST /explain

}  // namespace verdict::server

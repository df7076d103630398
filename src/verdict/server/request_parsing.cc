#include "verdict/server/request_parsing.h"

#include <algorithm>
#include <cstdint>

namespace verdict::server {
namespace {

using nlohmann::json;

size_t nesting_depth(const std::string& s) {
  size_t depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : s) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') max_depth = std::max(max_depth, ++depth);
    else if ((c == ']' || c == '}') && depth > 0) --depth;
  }
  return max_depth;
}

std::string type_name(const json& j) { return j.type_name(); }

// {"text": …, "text_pair": …}
std::optional<runtime::TextInput> pair_object(const json& j) {
  if (!j.is_object()) return std::nullopt;
  auto t = j.find("text");
  if (t == j.end() || !t->is_string()) return std::nullopt;
  runtime::TextInput in{t->get<std::string>(), std::nullopt};
  if (auto p = j.find("text_pair"); p != j.end() && !p->is_null()) {
    if (!p->is_string()) return std::nullopt;
    in.text_pair = p->get<std::string>();
  }
  return in;
}

std::optional<ApiError> read_function(const json& params, const char* key, ClassifyRequest& out) {
  auto f = params.find(key);
  if (f == params.end() || f->is_null()) return std::nullopt;
  if (!f->is_string()) return ApiError::validation(std::string("'") + key + "' must be a string");
  auto fn = model::parse_score_function(f->get<std::string>());
  if (!fn.ok()) return ApiError::validation(fn.error().message);
  out.function = *fn;
  return std::nullopt;
}

std::optional<ApiError> read_bool(const json& obj, const char* key, std::optional<bool>& out) {
  auto b = obj.find(key);
  if (b == obj.end() || b->is_null()) return std::nullopt;
  if (!b->is_boolean()) return ApiError::validation(std::string("'") + key + "' must be true or false, found " + type_name(*b));
  out = b->get<bool>();
  return std::nullopt;
}

// The Hugging Face and KServe routes answer every malformed request 400 (their APIs' code); the
// shared readers speak TEI's 422.
ApiError as_bad_request(ApiError e) {
  e.status = 400;
  return e;
}

// raw_scores, truncate and truncation_direction, as /predict and /rerank read them.
std::optional<ApiError> read_tei_options(const json& body, ClassifyRequest& r) {
  std::optional<bool> raw;
  if (auto e = read_bool(body, "raw_scores", raw)) return e;
  if (raw.value_or(false)) r.function = model::ScoreFunction::kNone;
  if (auto e = read_bool(body, "truncate", r.truncate)) return e;
  if (auto d = body.find("truncation_direction"); d != body.end() && !d->is_null()) {
    const std::string dir = d->is_string() ? d->get<std::string>() : "";
    if (dir == "left" || dir == "Left") {
      r.truncate_left = true;
    } else if (dir != "right" && dir != "Right") {
      return ApiError::validation("\"truncation_direction\" must be \"right\" or \"left\"; found " + d->dump());
    }
  }
  return std::nullopt;
}

ApiError empty_input(bool batch, size_t index) {
  return ApiError::empty(batch ? "inputs[" + std::to_string(index) + "] cannot be empty" : "`inputs` cannot be empty");
}

}  // namespace

Parsed<json> parse_json_body(const std::string& body) {
  if (body.empty()) return ApiError::bad_request("the request body is empty; expected JSON");
  if (nesting_depth(body) > kMaxJsonDepth) {
    return ApiError::bad_request("JSON nesting is deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  try {
    return json::parse(body);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e500
    std::string what = e.what();
    const auto pos = what.find("] ");  // drop nlohmann's "[json.exception.parse_error.101] " prefix
    return ApiError::bad_request("invalid JSON: " + (pos == std::string::npos ? what : what.substr(pos + 2)));
  }
}

Parsed<ClassifyRequest> parse_hf_request(const json& body) {
  if (!body.is_object()) return ApiError::bad_request("the body must be a JSON object with \"inputs\"");
  auto in = body.find("inputs");
  if (in == body.end()) return ApiError::bad_request("missing field \"inputs\"");
  ClassifyRequest r;
  if (in->is_string()) {
    r.inputs.push_back({in->get<std::string>(), std::nullopt});
  } else if (auto pair = pair_object(*in)) {
    r.inputs.push_back(std::move(*pair));
  } else if (in->is_array()) {
    r.batch = true;
    for (size_t i = 0; i < in->size(); ++i) {
      const auto& item = (*in)[i];
      if (item.is_string()) r.inputs.push_back({item.get<std::string>(), std::nullopt});
      else if (auto p = pair_object(item)) r.inputs.push_back(std::move(*p));
      else
        return ApiError::bad_request("inputs[" + std::to_string(i) +
                                     "] must be a string or {\"text\", \"text_pair\"}, found " + type_name(item));
    }
    if (r.inputs.empty()) return ApiError::empty("\"inputs\" is an empty list");
  } else {
    return ApiError::bad_request("\"inputs\" must be a string, a list of strings, or {\"text\", \"text_pair\"}; found " +
                                 type_name(*in));
  }
  if (auto p = body.find("parameters"); p != body.end() && !p->is_null()) {
    if (!p->is_object()) return ApiError::bad_request("\"parameters\" must be an object");
    if (auto k = p->find("top_k"); k != p->end() && !k->is_null()) {
      if (!k->is_number_integer() || k->get<int64_t>() < 1) {
        return ApiError::bad_request("\"top_k\" must be a positive integer or null, found " + k->dump());
      }
      r.top_k = static_cast<size_t>(std::min<int64_t>(k->get<int64_t>(), 1 << 20));
    }
    if (auto e = read_function(*p, "function_to_apply", r)) return as_bad_request(*e);
    if (auto e = read_bool(*p, "truncation", r.truncate)) return as_bad_request(*e);
  }
  return r;
}

Parsed<ClassifyRequest> parse_tei_predict(const json& body) {
  if (!body.is_object()) return ApiError::validation("the body must be a JSON object with \"inputs\"");
  auto in = body.find("inputs");
  if (in == body.end()) return ApiError::validation("missing field `inputs`");
  ClassifyRequest r;
  const std::string shape_help =
      "\"inputs\" must be a string, a pair of strings [string, string] or a batch of mixed strings and pairs "
      "[[string], [string, string], ...]";
  if (in->is_string()) {
    r.inputs.push_back({in->get<std::string>(), std::nullopt});
  } else if (in->is_array() && !in->empty() && (*in)[0].is_string()) {
    // One sequence: ["text"] or a pair ["a", "b"] — not a batch.
    if (in->size() > 2) return ApiError::validation(shape_help + "; found " + std::to_string(in->size()) + " strings");
    for (const auto& s : *in) {
      if (!s.is_string()) return ApiError::validation(shape_help);
    }
    r.inputs.push_back({(*in)[0].get<std::string>(), std::nullopt});
    if (in->size() == 2) r.inputs[0].text_pair = (*in)[1].get<std::string>();
  } else if (in->is_array()) {
    if (in->empty()) return ApiError::empty("`inputs` cannot be empty");
    r.batch = true;
    for (size_t i = 0; i < in->size(); ++i) {
      const auto& seq = (*in)[i];
      const bool ok = seq.is_array() && (seq.size() == 1 || seq.size() == 2) &&
                      std::all_of(seq.begin(), seq.end(), [](const json& s) { return s.is_string(); });
      if (!ok) return ApiError::validation(shape_help + "; inputs[" + std::to_string(i) + "] is " + seq.dump().substr(0, 80));
      r.inputs.push_back({seq[0].get<std::string>(), std::nullopt});
      if (seq.size() == 2) r.inputs.back().text_pair = seq[1].get<std::string>();
    }
  } else {
    return ApiError::validation(shape_help + "; found " + type_name(*in));
  }
  // TEI refuses an empty text (or a pair of two) before tokenizing it: 400 "empty".
  for (size_t i = 0; i < r.inputs.size(); ++i) {
    if (r.inputs[i].text.empty() && r.inputs[i].text_pair.value_or("").empty()) return empty_input(r.batch, i);
  }
  if (auto e = read_tei_options(body, r)) return *e;
  return r;
}

Parsed<RerankRequest> parse_tei_rerank(const json& body) {
  if (!body.is_object()) return ApiError::validation("the body must be a JSON object with \"query\" and \"texts\"");
  auto query = body.find("query");
  if (query == body.end()) return ApiError::validation("missing field `query`");
  if (!query->is_string()) return ApiError::validation("\"query\" must be a string; found " + type_name(*query));
  auto texts = body.find("texts");
  if (texts == body.end()) return ApiError::validation("missing field `texts`");
  if (!texts->is_array()) return ApiError::validation("\"texts\" must be a list of strings; found " + type_name(*texts));
  if (texts->empty()) return ApiError::empty("`texts` cannot be empty");
  RerankRequest r;
  r.pairs.batch = true;
  for (size_t i = 0; i < texts->size(); ++i) {
    const auto& t = (*texts)[i];
    if (!t.is_string()) return ApiError::validation("texts[" + std::to_string(i) + "] must be a string; found " + type_name(t));
    r.pairs.inputs.push_back({query->get<std::string>(), t.get<std::string>()});
    if (r.pairs.inputs.back().text.empty() && r.pairs.inputs.back().text_pair->empty()) {
      return ApiError::empty("the query and texts[" + std::to_string(i) + "] are both empty");
    }
  }
  if (auto e = read_tei_options(body, r.pairs)) return *e;
  std::optional<bool> return_text;
  if (auto e = read_bool(body, "return_text", return_text)) return *e;
  r.return_text = return_text.value_or(false);
  return r;
}

Parsed<ClassifyRequest> parse_kserve_infer(const json& body) {
  if (!body.is_object()) return ApiError::bad_request("the body must be a JSON object with \"inputs\"");
  ClassifyRequest r;
  r.batch = true;
  if (auto id = body.find("id"); id != body.end() && !id->is_null()) {
    if (!id->is_string()) return ApiError::bad_request("\"id\" must be a string");
    r.id = id->get<std::string>();
  }
  auto in = body.find("inputs");
  if (in == body.end() || !in->is_array() || in->size() != 1) {
    return ApiError::bad_request("\"inputs\" must be a list of exactly one tensor {name, shape, datatype: BYTES, data}");
  }
  const auto& t = (*in)[0];
  if (!t.is_object()) return ApiError::bad_request("inputs[0] must be a tensor object");
  auto dt = t.find("datatype");
  if (dt == t.end() || !dt->is_string() || dt->get<std::string>() != "BYTES") {
    return ApiError::bad_request("inputs[0].datatype must be \"BYTES\" (texts)");
  }
  auto data = t.find("data");
  if (data == t.end() || !data->is_array()) return ApiError::bad_request("inputs[0].data must be a list of strings");
  // Row-major data may come nested by shape; flatten it.
  std::vector<std::string> texts;
  std::function<std::optional<ApiError>(const json&)> flatten = [&](const json& j) -> std::optional<ApiError> {
    if (j.is_string()) {
      texts.push_back(j.get<std::string>());
      return std::nullopt;
    }
    if (!j.is_array()) return ApiError::bad_request("inputs[0].data must hold only strings, found " + type_name(j));
    for (const auto& e : j) {
      if (auto err = flatten(e)) return err;
    }
    return std::nullopt;
  };
  if (auto err = flatten(*data)) return *err;
  if (auto shape = t.find("shape"); shape != t.end()) {
    if (!shape->is_array()) return ApiError::bad_request("inputs[0].shape must be a list of sizes");
    int64_t n = 1;
    for (const auto& d : *shape) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) return ApiError::bad_request("inputs[0].shape must be a list of sizes");
      // Saturating: [1048576, 1048576, 1048576, 8] overflowed int64 (undefined behaviour).
      if (__builtin_mul_overflow(n, std::min<int64_t>(d.get<int64_t>(), 1 << 20), &n)) n = INT64_MAX;
    }
    if (n != static_cast<int64_t>(texts.size())) {
      return ApiError::bad_request("inputs[0].shape " + shape->dump() + " holds " + std::to_string(n) +
                                   " elements but data has " + std::to_string(texts.size()));
    }
  }
  if (texts.empty()) return ApiError::empty("inputs[0].data is empty");
  if (auto outs = body.find("outputs"); outs != body.end() && !outs->is_null()) {
    // The protocol's output filter: only the tensors asked for come back.
    if (!outs->is_array()) return ApiError::bad_request("\"outputs\" must be a list of {\"name\": ...}");
    for (size_t i = 0; i < outs->size(); ++i) {
      const auto& o = (*outs)[i];
      auto name = o.is_object() ? o.find("name") : o.end();
      if (!o.is_object() || name == o.end() || !name->is_string()) {
        return ApiError::bad_request("outputs[" + std::to_string(i) + "] must be an object with a \"name\"");
      }
      const std::string n = name->get<std::string>();
      if (n != "label" && n != "score") {
        return ApiError::bad_request("outputs[" + std::to_string(i) + "]: unknown output '" + n.substr(0, 80) +
                                     "'; this model's outputs are 'label' and 'score'");
      }
      if (std::find(r.outputs.begin(), r.outputs.end(), n) == r.outputs.end()) r.outputs.push_back(n);
    }
  }
  for (auto& s : texts) r.inputs.push_back({std::move(s), std::nullopt});
  if (auto p = body.find("parameters"); p != body.end() && !p->is_null()) {
    if (!p->is_object()) return ApiError::bad_request("\"parameters\" must be an object");
    if (auto e = read_function(*p, "function_to_apply", r)) return as_bad_request(*e);
    if (auto e = read_bool(*p, "truncation", r.truncate)) return as_bad_request(*e);
  }
  return r;
}

Parsed<TokenizeRequest> parse_tei_tokenize(const json& body) {
  if (!body.is_object()) return ApiError::validation("the body must be a JSON object with \"inputs\"");
  auto in = body.find("inputs");
  if (in == body.end()) return ApiError::validation("missing field `inputs`");
  TokenizeRequest r;
  if (in->is_string()) {
    r.inputs.push_back(in->get<std::string>());
  } else if (in->is_array()) {
    if (in->empty()) return ApiError::empty("`inputs` cannot be empty");
    r.batch = true;
    for (size_t i = 0; i < in->size(); ++i) {
      if (!(*in)[i].is_string()) return ApiError::validation("inputs[" + std::to_string(i) + "] must be a string");
      r.inputs.push_back((*in)[i].get<std::string>());
    }
  } else {
    return ApiError::validation("\"inputs\" must be a string or a list of strings; found " + type_name(*in));
  }
  for (size_t i = 0; i < r.inputs.size(); ++i) {
    if (r.inputs[i].empty()) return empty_input(r.batch, i);
  }
  std::optional<bool> special;
  if (auto e = read_bool(body, "add_special_tokens", special)) return *e;
  r.add_special_tokens = special.value_or(true);
  return r;
}

Parsed<ExplainRequest> parse_explain(const nlohmann::json& body) {
  if (!body.is_object()) return ApiError::validation("the body must be a JSON object");
  ExplainRequest req;
  const auto inputs = body.find("inputs");
  if (inputs == body.end()) return ApiError::validation("missing field 'inputs'");
  if (!inputs->is_string()) return ApiError::validation("'inputs' must be a string (one text to explain)");
  req.text = inputs->get<std::string>();
  if (const auto params = body.find("parameters"); params != body.end() && !params->is_null()) {
    if (!params->is_object()) return ApiError::validation("'parameters' must be an object");
    if (const auto label = params->find("label"); label != params->end() && !label->is_null()) {
      if (!label->is_string()) return ApiError::validation("'parameters.label' must be a string");
      req.label = label->get<std::string>();
    }
  }
  return req;
}

}  // namespace verdict::server

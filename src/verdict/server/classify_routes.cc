// The classification routes of every API, and the inference path they share.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>

#include "verdict/server/service.h"
#include "verdict/version.h"

namespace verdict::server {

using nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

namespace {

HttpResponse json_response(const ordered_json& j) {
  HttpResponse r;
  r.body = j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  return r;
}

ordered_json label_scores(const std::vector<model::LabelScore>& scores, std::optional<size_t> top_k) {
  ordered_json list = ordered_json::array();
  const size_t n = std::min(scores.size(), top_k.value_or(scores.size()));
  for (size_t i = 0; i < n; ++i) list.push_back({{"label", scores[i].label}, {"score", scores[i].score}});
  return list;
}

// TEI's timing headers are whole milliseconds (Rust's as_millis: truncated); clients parse
// them as integers.
std::string whole_ms(double v) { return std::to_string(static_cast<int64_t>(std::max(0.0, v))); }

// The same figures, to the microsecond, in the W3C header browsers' developer tools show.
std::string server_timing(double tokenization, double queue, double inference, double total) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "tokenize;dur=%.3f, queue;dur=%.3f, inference;dur=%.3f, total;dur=%.3f",
                tokenization, queue, inference, total);
  return buf;
}

// Body -> JSON -> the API's request type; on failure answers the error and returns nullopt.
template <class T>
std::optional<T> parse_body(const HttpRequest& r, const std::shared_ptr<Service::Reply>& reply,
                            Parsed<T> (*parser)(const nlohmann::json&)) {
  auto body = parse_json_body(r.body);
  if (auto* e = std::get_if<ApiError>(&body)) {
    reply->fail(*e);
    return std::nullopt;
  }
  auto parsed = parser(std::get<nlohmann::json>(body));
  if (auto* e = std::get_if<ApiError>(&parsed)) {
    reply->fail(*e);
    return std::nullopt;
  }
  return std::move(std::get<T>(parsed));
}

}  // namespace

namespace {
// UTF-8 lead bytes (invalid UTF-8 is the tokenizer's to reject).
size_t code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}
}  // namespace

std::optional<ApiError> Service::check_batch_size(size_t inputs) const {
  if (inputs <= config_.max_client_batch_size) return std::nullopt;
  return ApiError::too_large("batch size " + std::to_string(inputs) + " > maximum allowed batch size " +
                             std::to_string(config_.max_client_batch_size));
}

std::optional<ApiError> Service::check_input_length(size_t index, size_t chars) const {
  if (!config_.max_input_chars || chars <= config_.max_input_chars) return std::nullopt;
  return ApiError::too_large("input " + std::to_string(index) + " has " + std::to_string(chars) +
                             " characters; the limit is " + std::to_string(config_.max_input_chars));
}

void Service::infer(const std::vector<runtime::TextInput>& inputs, bool truncate, bool truncate_left,
                    const std::shared_ptr<Reply>& reply,
                    std::function<void(Inference)> done, std::function<void(const ApiError&)> fail) {
  const auto t0 = Clock::now();
  tokenizer::EncodeOptions opts;
  opts.truncate = truncate;
  opts.truncate_left = truncate_left;
  opts.max_length = pipeline_->max_input_length();
  auto result = std::make_shared<Inference>();
  result->logits.resize(inputs.size());
  std::vector<std::string> keys(inputs.size());  // empty: not cacheable
  std::vector<size_t> computed;                  // inputs the model must compute
  std::vector<tokenizer::Encoding> encodings;
  size_t misses = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& in = inputs[i];
    // The model reads at most a few thousand characters; a bound here keeps one request from
    // buying seconds of tokenizer time inside the payload limit.
    const size_t chars = code_points(in.text) + (in.text_pair ? code_points(*in.text_pair) : 0);
    result->chars += chars;
    if (auto e = check_input_length(i, chars)) return fail(*e);
    if (auto key = cache_.key(config_.model_id, in, truncate, truncate_left)) {
      if (auto cached = cache_.get(*key)) {
        result->logits[i] = std::move(cached->logits);
        result->tokens += cached->tokens;
        ++result->cache_hits;
        continue;
      }
      ++misses;
      keys[i] = std::move(*key);
    }
    auto enc = pipeline_->tokenizer().encode(
        in.text, in.text_pair ? std::optional<std::string_view>(*in.text_pair) : std::nullopt, opts);
    if (!enc.ok()) return fail({422, "tokenizer", "input " + std::to_string(i) + ": " + enc.error().message});
    if (enc->ids.size() > opts.max_length) {
      return fail(ApiError::validation(
          "input " + std::to_string(i) + " has " + std::to_string(enc->ids.size()) +
          " tokens, more than the model's maximum of " + std::to_string(opts.max_length) +
          "; set truncation/truncate to true to cut it"));
    }
    computed.push_back(i);
    result->tokens += enc->ids.size();
    encodings.push_back(std::move(*enc));
  }
  metrics_.on_cache(result->cache_hits, misses, 0);
  result->tokenization_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (computed.empty()) return done(std::move(*result));

  const auto deadline = config_.request_timeout.count() > 0 ? t0 + config_.request_timeout : Clock::time_point::max();
  std::vector<size_t> computed_tokens;
  computed_tokens.reserve(encodings.size());
  for (const auto& e : encodings) computed_tokens.push_back(e.ids.size());
  auto on_outcome = [this, result, computed = std::move(computed), computed_tokens = std::move(computed_tokens),
                     keys = std::move(keys), done = std::move(done), fail](runtime::RequestOutcome outcome) {
    if (!outcome.logits.ok()) return fail(from_error(outcome.logits.error()));
    size_t evictions = 0;
    for (size_t j = 0; j < computed.size(); ++j) {
      const size_t i = computed[j];
      if (!keys[i].empty()) evictions += cache_.put(keys[i], (*outcome.logits)[j], computed_tokens[j]);
      result->logits[i] = std::move((*outcome.logits)[j]);
    }
    metrics_.on_cache(0, 0, evictions);
    result->timings = outcome.timings;
    done(std::move(*result));
  };
  batcher_.submit(std::move(encodings), std::move(on_outcome), reply->client_gone(), deadline);
}

void Service::classify(ClassifyRequest req, const std::shared_ptr<Reply>& reply, Renderer render,
                       ErrorRenderer on_error) {
  // Routes whose clients cannot take an HTTP error (Discord) render errors themselves.
  auto fail = [reply, on_error](const ApiError& e) {
    if (on_error) return reply->send(on_error(e));
    reply->fail(e);
  };
  if (draining_.load()) return fail({503, "unhealthy", "the server is shutting down"});
  if (req.inputs.empty()) return fail(ApiError::empty("no input"));
  if (auto e = check_batch_size(req.inputs.size())) return fail(*e);
  const auto t0 = Clock::now();
  const bool truncate = req.truncate.value_or(config_.auto_truncate);
  if (config_.log_texts) {
    for (const auto& in : req.inputs) reply->detail += "[" + in.text + (in.text_pair ? " | " + *in.text_pair : "") + "]";
  }
  auto shared_req = std::make_shared<ClassifyRequest>(std::move(req));
  auto done = [this, reply, shared_req, render = std::move(render), t0](Inference inference) {
    std::vector<std::vector<model::LabelScore>> scores;
    scores.reserve(inference.logits.size());
    for (const auto& l : inference.logits) scores.push_back(model::score_labels(l, pipeline_->config(), shared_req->function));
    HttpResponse r = render(*shared_req, scores);
    if (ui_history_.enabled()) {
      for (size_t i = 0; i < inference.logits.size(); ++i) {
        const auto& in = shared_req->inputs[i];
        record_history(reply->route(), in.text + (in.text_pair ? " | " + *in.text_pair : ""),
                       model::score_labels(inference.logits[i], pipeline_->config(), model::ScoreFunction::kDefault)[0]);
      }
    }
    const auto& t = inference.timings;
    metrics_.on_timings(inference.tokenization_ms / 1000, t.queue_ms / 1000, t.inference_ms / 1000, t.tokens);
    const double total = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    r.headers.insert(r.headers.end(), {{"x-compute-type", "cpu"},
                                       {"x-compute-time", whole_ms(inference.tokenization_ms + t.queue_ms + t.inference_ms)},
                                       {"x-compute-characters", std::to_string(inference.chars)},
                                       {"x-compute-tokens", std::to_string(inference.tokens)},
                                       {"x-total-time", whole_ms(total)},
                                       {"x-tokenization-time", whole_ms(inference.tokenization_ms)},
                                       {"x-queue-time", whole_ms(t.queue_ms)},
                                       {"x-inference-time", whole_ms(t.inference_ms)},
                                       {"x-cache-hits", std::to_string(inference.cache_hits)},
                                       {"Server-Timing", server_timing(inference.tokenization_ms, t.queue_ms,
                                                                       t.inference_ms, total)}});
    reply->send(std::move(r));
  };
  infer(shared_req->inputs, truncate, shared_req->truncate_left, reply, std::move(done), fail);
}

// The original service: GET /?review=TEXT&api_key=KEY -> {"label", "score"} of that review.
void Service::get_root(const HttpRequest& r, const std::shared_ptr<Reply>& reply) {
  auto review = r.query_param("review");
  if (!review) {
    if (r.query_param("api_key")) return reply->fail(ApiError::bad_request("missing query parameter 'review'"));
    const auto& c = pipeline_->config();
    return reply->send(json_response({{"name", "verdict"},
                                      {"version", kVersion},
                                      {"model", config_.model_id},
                                      {"served_model_name", config_.served_model_name},
                                      {"architecture", model::architecture_name(c.architecture)},
                                      {"labels", c.labels},
                                      {"docs", "/openapi.json"}}));
  }
  ClassifyRequest req;
  req.inputs.push_back({*review, std::nullopt});
  classify(std::move(req), reply, [](const ClassifyRequest&, const auto& scores) {
    return json_response({{"label", scores[0][0].label}, {"score", scores[0][0].score}});
  });
}

// Hugging Face Inference API: always one list (sorted, top_k) per input.
void Service::post_hf(const HttpRequest& r, const std::shared_ptr<Reply>& reply) {
  auto req = parse_body(r, reply, &parse_hf_request);
  if (!req) return;
  classify(std::move(*req), reply, [](const ClassifyRequest& q, const auto& scores) {
    ordered_json out = ordered_json::array();
    for (const auto& s : scores) out.push_back(label_scores(s, q.top_k));
    return json_response(out);
  });
}

// TEI: a list for one input (or pair), a list of lists for a batch.
void Service::post_predict(const HttpRequest& r, const std::shared_ptr<Reply>& reply) {
  auto req = parse_body(r, reply, &parse_tei_predict);
  if (!req) return;
  // TEI's rule, not the pipeline's: softmax over two or more logits, sigmoid over one, whatever
  // the model's problem_type.
  if (req->function == model::ScoreFunction::kDefault) {
    req->function = pipeline_->config().num_labels() > 1 ? model::ScoreFunction::kSoftmax : model::ScoreFunction::kSigmoid;
  }
  classify(std::move(*req), reply, [](const ClassifyRequest& q, const auto& scores) {
    if (!q.batch) return json_response(label_scores(scores[0], std::nullopt));
    ordered_json out = ordered_json::array();
    for (const auto& s : scores) out.push_back(label_scores(s, std::nullopt));
    return json_response(out);
  });
}

// TEI /rerank: a cross-encoder (one label) scores each (query, text); answered best first.
void Service::post_rerank(const HttpRequest& r, const std::shared_ptr<Reply>& reply) {
  auto req = parse_body(r, reply, &parse_tei_rerank);
  if (!req) return;
  if (pipeline_->config().num_labels() != 1) {
    return reply->fail({424, "backend", "model is not a re-ranker model: it has " +
                                            std::to_string(pipeline_->config().num_labels()) +
                                            " labels; a cross-encoder has one (use /predict)"});
  }
  if (req->pairs.function == model::ScoreFunction::kDefault) req->pairs.function = model::ScoreFunction::kSigmoid;
  const bool return_text = req->return_text;
  classify(std::move(req->pairs), reply, [return_text](const ClassifyRequest& q, const auto& scores) {
    std::vector<size_t> order(scores.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a][0].score > scores[b][0].score; });
    ordered_json out = ordered_json::array();
    for (size_t i : order) {
      ordered_json rank = {{"index", i}};
      if (return_text) rank["text"] = *q.inputs[i].text_pair;
      rank["score"] = scores[i][0].score;
      out.push_back(std::move(rank));
    }
    return json_response(out);
  });
}

// KServe v2: outputs "label" (BYTES) and "score" (FP32), one element per input text.
void Service::post_v2_infer(const HttpRequest& r, const std::shared_ptr<Reply>& reply) {
  if (!known_model(r, reply)) return;
  auto req = parse_body(r, reply, &parse_kserve_infer);
  if (!req) return;
  classify(std::move(*req), reply, [this](const ClassifyRequest& q, const auto& scores) {
    ordered_json labels = ordered_json::array(), values = ordered_json::array();
    for (const auto& s : scores) {
      labels.push_back(s[0].label);
      values.push_back(s[0].score);
    }
    const auto n = scores.size();
    ordered_json out = {{"model_name", config_.served_model_name}, {"model_version", kModelVersion}};
    if (!q.id.empty()) out["id"] = q.id;
    ordered_json outputs = ordered_json::array();
    for (const std::string& name : q.outputs.empty() ? std::vector<std::string>{"label", "score"} : q.outputs) {
      if (name == "label") outputs.push_back({{"name", "label"}, {"shape", {n}}, {"datatype", "BYTES"}, {"data", labels}});
      else outputs.push_back({{"name", "score"}, {"shape", {n}}, {"datatype", "FP32"}, {"data", values}});
    }
    out["outputs"] = std::move(outputs);
    return json_response(out);
  });
}

// TEI /tokenize: per input a list of {id, text, special, start, stop}; offsets in code points.
void Service::post_tokenize(const HttpRequest& r, const std::shared_ptr<Reply>& reply) {
  auto req = parse_body(r, reply, &parse_tei_tokenize);
  if (!req) return;
  if (auto e = check_batch_size(req->inputs.size())) return reply->fail(*e);
  // Untruncated, the answer grows with the input (~60 bytes a token, several times that while
  // built): the inputs of one request share the one --max-input-chars budget, or a 2 MB body of
  // short tokens would build a response of hundreds of megabytes.
  size_t total_chars = 0;
  for (size_t i = 0; i < req->inputs.size(); ++i) {
    const size_t chars = code_points(req->inputs[i]);
    if (auto e = check_input_length(i, chars)) return reply->fail(*e);
    total_chars += chars;
  }
  if (config_.max_input_chars && total_chars > config_.max_input_chars) {
    return reply->fail(ApiError::too_large("the inputs hold " + std::to_string(total_chars) +
                                           " characters together; /tokenize answers at most " +
                                           std::to_string(config_.max_input_chars) + " a request (--max-input-chars)"));
  }
  tokenizer::EncodeOptions opts;
  opts.add_special_tokens = req->add_special_tokens;
  opts.truncate = false;  // as TEI's: every token is counted ("does it fit?"); --max-input-chars bounds the work
  ordered_json out = ordered_json::array();
  for (size_t i = 0; i < req->inputs.size(); ++i) {
    const std::string& text = req->inputs[i];
    auto enc = pipeline_->tokenizer().encode(text, std::nullopt, opts);
    if (!enc.ok()) return reply->fail({422, "tokenizer", "input " + std::to_string(i) + ": " + enc.error().message});
    // Byte offsets -> code point offsets (the input is valid UTF-8: the tokenizer checked).
    std::vector<uint32_t> cp_at(text.size() + 1, 0);  // code points before byte b
    uint32_t cp = 0;
    for (size_t b = 0; b <= text.size(); ++b) {
      cp_at[b] = cp;
      if (b < text.size() && (static_cast<unsigned char>(text[b]) & 0xC0) != 0x80) ++cp;
    }
    ordered_json tokens = ordered_json::array();
    for (size_t t = 0; t < enc->ids.size(); ++t) {
      const bool special = enc->special[t] != 0;
      const auto& off = enc->offsets[t];
      ordered_json tok = {{"id", enc->ids[t]}};
      if (special) {
        tok["text"] = enc->tokens[t];
        tok["special"] = true;
        tok["start"] = nullptr;
        tok["stop"] = nullptr;
      } else {
        tok["text"] = text.substr(off.begin, off.end - off.begin);
        tok["special"] = false;
        tok["start"] = cp_at[off.begin];
        tok["stop"] = cp_at[off.end];
      }
      tokens.push_back(std::move(tok));
    }
    out.push_back(std::move(tokens));
  }
  reply->send(json_response(out));
}

}  // namespace verdict::server

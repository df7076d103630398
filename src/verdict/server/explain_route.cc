// POST /explain {"inputs": str, "parameters": {"label": optional}} -> the label, its score and
// each word's weight (leave-one-word-out, runtime/explain.h). The text and its variants go to
// the batcher as one request, through the result cache like every classification.
#include <nlohmann/json.hpp>

#include "verdict/runtime/explain.h"
#include "verdict/server/service.h"

namespace verdict::server {
void Service::post_explain(const HttpRequest& r, const std::shared_ptr<Reply>& reply) {
  auto body = parse_json_body(r.body);
  if (auto* e = std::get_if<ApiError>(&body)) return reply->fail(*e);
  auto parsed = parse_explain(std::get<nlohmann::json>(body));
  if (auto* e = std::get_if<ApiError>(&parsed)) return reply->fail(*e);
  auto req = std::make_shared<ExplainRequest>(std::move(std::get<ExplainRequest>(parsed)));
  if (draining_.load()) return reply->fail({503, "unhealthy", "the server is shutting down"});
  auto words = runtime::split_words(req->text);
  if (words.empty()) return reply->fail(ApiError::empty("'inputs' has no word to explain"));
  if (auto st = runtime::check_word_count(words.size()); !st.ok()) {
    return reply->fail(ApiError::too_large(st.error().message));
  }
  if (config_.log_texts) reply->detail += "[" + req->text + "]";
  const auto inputs = runtime::explanation_inputs(req->text, words);
  auto shared_words = std::make_shared<std::vector<runtime::ExplainedWord>>(std::move(words));
  infer(
      inputs, config_.auto_truncate, /*truncate_left=*/false, reply,
      [this, reply, req, shared_words](Inference inference) {
        auto e = runtime::explain_from_logits(std::move(*shared_words), inference.logits, pipeline_->config(),
                                              req->label);
        if (!e.ok()) return reply->fail(from_error(e.error()));
        record_history(
            "explain", req->text,
            model::score_labels(inference.logits[0], pipeline_->config(), model::ScoreFunction::kDefault)[0]);
        nlohmann::ordered_json words_json = nlohmann::ordered_json::array();
        for (const auto& w : e->words) {
          words_json.push_back(
              {{"word", w.word}, {"start", w.start}, {"stop", w.stop}, {"weight", w.weight}});
        }
        HttpResponse out;
        out.body =
            nlohmann::ordered_json{{"label", e->label}, {"score", e->score}, {"words", words_json}}.dump(
                -1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
        out.headers = {{"x-compute-tokens", std::to_string(inference.tokens)},
                       {"x-cache-hits", std::to_string(inference.cache_hits)}};
        metrics_.on_timings(inference.tokenization_ms / 1000, inference.timings.queue_ms / 1000,
                            inference.timings.inference_ms / 1000, inference.timings.tokens);
        reply->send(std::move(out));
      },
      [reply](const ApiError& e) { reply->fail(e); });
}

}  // namespace verdict::server

// HTTP request bodies through parse_json_body and the API parsers, and every input through
// url_decode. The first byte picks the parser: 'h' Hugging Face (POST /), 'p' TEI /predict,
// 'k' KServe infer, 't' TEI /tokenize, 'r' TEI /rerank, 'e' /explain, 'd' a Discord interaction (its reply built
// as the route would), the rest of the input being the body; any other first byte gives the
// whole input, as the body, to all of them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz_util.h"
#include "verdict/server/discord.h"
#include "verdict/server/http_server.h"
#include "verdict/server/request_parsing.h"

namespace {

using namespace verdict::server;
using verdict::fuzz::check;

template <class T>
const T* checked(const Parsed<T>& parsed, const char* route) {
  if (const auto* error = std::get_if<ApiError>(&parsed)) {
    check(error->status == 400 || error->status == 422, route, ": error status ",
          static_cast<size_t>(error->status));
    check(!error->message.empty() && !error->type.empty(), route, ": error without a message");
    return nullptr;
  }
  return &std::get<T>(parsed);
}

void check_classify(const Parsed<ClassifyRequest>& parsed, const char* route) {
  const ClassifyRequest* r = checked(parsed, route);
  if (!r) return;
  check(!r->inputs.empty(), route, ": accepted without inputs");
  check(r->batch || r->inputs.size() == 1, route, ": several inputs but not a batch");
  check(!r->top_k || *r->top_k >= 1, route, ": top_k 0");
}

void check_url_decode(std::string_view s) {
  for (const bool plus : {false, true}) {
    const std::string decoded = url_decode(s, plus);
    check(decoded.size() <= s.size(), "url_decode grew its input");
    if (s.find('%') == std::string_view::npos && (!plus || s.find('+') == std::string_view::npos)) {
      check(decoded == s, "url_decode changed a string without escapes");
    }
  }
  // Every byte escaped decodes back to the input.
  static const char kHex[] = "0123456789ABCDEF";
  std::string escaped;
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    escaped += {'%', kHex[b >> 4], kHex[b & 15]};
  }
  check(url_decode(escaped, true) == s, "url_decode(escaped) is not the input");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_url_decode(input);
  const char route = size > 0 ? input[0] : 0;
  const bool one = route == 'h' || route == 'p' || route == 'k' || route == 't' || route == 'r' || route == 'e' ||
                   route == 'd';
  const std::string body(one ? input.substr(1) : input);

  const auto json = parse_json_body(body);
  const nlohmann::json* j = checked(json, "parse_json_body");
  if (!j) return 0;
  if (!one || route == 'h') check_classify(parse_hf_request(*j), "hf");
  if (!one || route == 'p') check_classify(parse_tei_predict(*j), "tei predict");
  if (!one || route == 't') {
    const auto parsed = parse_tei_tokenize(*j);
    if (const TokenizeRequest* r = checked(parsed, "tei tokenize")) {
      check(!r->inputs.empty(), "tei tokenize: accepted without inputs");
    }
  }
  if (!one || route == 'r') {
    const auto parsed = parse_tei_rerank(*j);
    if (const RerankRequest* r = checked(parsed, "tei rerank")) {
      check(r->pairs.batch && !r->pairs.inputs.empty(), "tei rerank: accepted without texts");
      for (const auto& in : r->pairs.inputs) {
        check(in.text_pair.has_value(), "tei rerank: an input that is not a (query, text) pair");
      }
    }
  }
  if (!one || route == 'k') {
    const auto parsed = parse_kserve_infer(*j);
    check_classify(parsed, "kserve");
    if (const ClassifyRequest* r = checked(parsed, "kserve")) {
      for (const auto& name : r->outputs) check(name == "label" || name == "score", "kserve: unknown output accepted");
    }
  }
  if (!one || route == 'e') (void)checked(parse_explain(*j), "explain");
  if (!one || route == 'd') {
    namespace discord = verdict::server::discord;
    const discord::Interaction in = discord::parse_interaction(*j);
    if (in.kind == discord::Interaction::Kind::kImmediate) {
      check(in.immediate.is_object(), "discord: an immediate reply that is not an object");
      (void)in.immediate.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else if (in.kind == discord::Interaction::Kind::kReview) {
      // The reply and the alert are built from the parsed fields (author names, ids: the
      // attacker's text) and must serialise whatever they hold.
      const verdict::model::LabelScore top{"NEGATIVE", 0.99f};
      const DiscordConfig config;
      (void)discord::review_reply(in.review, top, true, config).dump(-1, ' ', false,
                                                                     nlohmann::json::error_handler_t::replace);
      (void)discord::alert_payload(in.review, top).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  return 0;
}

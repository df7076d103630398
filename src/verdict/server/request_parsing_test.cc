// Request bodies the fuzzer (fuzz/fuzz_requests.cc) found mishandled, each answered as the
// contract says.
#include "verdict/server/request_parsing.h"

#include <gtest/gtest.h>

#include <variant>

namespace verdict::server {
namespace {

ApiError error_of(const Parsed<nlohmann::json>& parsed) {
  if (!std::holds_alternative<ApiError>(parsed)) {
    ADD_FAILURE() << "parsed: " << std::get<nlohmann::json>(parsed).dump();
    return {};
  }
  return std::get<ApiError>(parsed);
}

TEST(RequestParsingTest, NumberTooLargeForADoubleIsA400NotAnException) {
  // nlohmann throws out_of_range (not parse_error) for these: it escaped to the HTTP layer's
  // catch-all and became a 500.
  for (const char* body : {R"({"inputs": 1e500})", "-1e500", R"({"parameters": {"top_k": 1E+999}})"}) {
    const ApiError e = error_of(parse_json_body(body));
    EXPECT_EQ(e.status, 400) << body;
    EXPECT_NE(e.message.find("invalid JSON: number overflow"), std::string::npos) << e.message;
  }
}

TEST(RequestParsingTest, MalformedAndDeepJsonStay400) {
  EXPECT_EQ(error_of(parse_json_body("{\"inputs\": ")).status, 400);
  EXPECT_EQ(error_of(parse_json_body(std::string(64, '['))).status, 400);
  EXPECT_EQ(error_of(parse_json_body("")).status, 400);
}

TEST(RequestParsingTest, KServeShapeWhoseProductOverflowsIsAMismatch) {
  // Found while writing fuzz_requests (its UBSan build flags it): the element count of the
  // shape overflowed int64, undefined behaviour.
  const auto body = nlohmann::json::parse(
      R"({"inputs": [{"name": "text", "shape": [1048576, 1048576, 1048576, 8], "datatype": "BYTES",
                      "data": ["a"]}]})");
  const auto parsed = parse_kserve_infer(body);
  ASSERT_TRUE(std::holds_alternative<ApiError>(parsed));
  const ApiError& e = std::get<ApiError>(parsed);
  EXPECT_EQ(e.status, 400);
  EXPECT_NE(e.message.find("holds 9223372036854775807 elements but data has 1"), std::string::npos)
      << e.message;

  const auto zero = nlohmann::json::parse(
      R"({"inputs": [{"name": "text", "shape": [1048576, 1048576, 1048576, 8, 0], "datatype": "BYTES",
                      "data": []}]})");
  EXPECT_EQ(std::get<ApiError>(parse_kserve_infer(zero)).type, "empty");
}

template <class T>
ApiError refusal(const Parsed<T>& parsed) {
  if (!std::holds_alternative<ApiError>(parsed)) {
    ADD_FAILURE() << "accepted";
    return {};
  }
  return std::get<ApiError>(parsed);
}

TEST(RequestParsingTest, TeiRefusesAnEmptyTextAsTeiDoes) {
  using nlohmann::json;
  for (const char* body : {R"({"inputs": ""})", R"({"inputs": [""]})", R"({"inputs": ["", ""]})"}) {
    const ApiError e = refusal(parse_tei_predict(json::parse(body)));
    EXPECT_EQ(e.status, 400) << body;
    EXPECT_EQ(e.type, "empty") << body;
    EXPECT_EQ(e.message, "`inputs` cannot be empty") << body;
  }
  EXPECT_EQ(refusal(parse_tei_predict(json::parse(R"({"inputs": [["a"], [""]]})"))).message, "inputs[1] cannot be empty");
  EXPECT_EQ(refusal(parse_tei_tokenize(json::parse(R"({"inputs": ["a", ""]})"))).message, "inputs[1] cannot be empty");
  EXPECT_EQ(refusal(parse_tei_tokenize(json::parse(R"({"inputs": ""})"))).status, 400);
  // A pair with one empty side is a pair (TEI's rule: both sides empty is empty).
  EXPECT_TRUE(std::holds_alternative<ClassifyRequest>(parse_tei_predict(json::parse(R"({"inputs": ["", "b"]})"))));
  // The pipeline classifies "" (Hugging Face and KServe routes keep its rule).
  EXPECT_TRUE(std::holds_alternative<ClassifyRequest>(parse_hf_request(json::parse(R"({"inputs": ""})"))));
}

TEST(RequestParsingTest, KServeOutputsNameTheTensorsToReturn) {
  using nlohmann::json;
  auto body = [](const char* outputs) {
    return json::parse(std::string(R"({"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["a"]}], "outputs": )") +
                       outputs + "}");
  };
  const auto picked = parse_kserve_infer(body(R"([{"name": "score"}, {"name": "label"}, {"name": "score"}])"));
  ASSERT_TRUE(std::holds_alternative<ClassifyRequest>(picked));
  EXPECT_EQ(std::get<ClassifyRequest>(picked).outputs, (std::vector<std::string>{"score", "label"}));
  const ApiError unknown = refusal(parse_kserve_infer(body(R"([{"name": "logits"}])")));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.message.find("unknown output 'logits'"), std::string::npos) << unknown.message;
  EXPECT_EQ(refusal(parse_kserve_infer(body(R"({"name": "label"})"))).status, 400);
  EXPECT_EQ(refusal(parse_kserve_infer(body(R"([{"label": 1}])"))).status, 400);
}

}  // namespace
}  // namespace verdict::server

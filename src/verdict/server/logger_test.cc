// Request log lines: Cloud Logging's trace fields come from the client's trace header only when
// it is well formed (the header is the client's; the field is a link in the console).
#include "verdict/server/logger.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace verdict::server {
namespace {

nlohmann::json logged(const std::vector<std::pair<std::string, std::string>>& headers) {
  Logger logger(LogFormat::kJson, "proj");
  HttpRequest r;
  r.method = "POST";
  r.path = "/predict";
  r.headers = headers;
  ::testing::internal::CaptureStdout();
  logger.request(r, 200, 0.001, "id1", "");
  return nlohmann::json::parse(::testing::internal::GetCapturedStdout());
}

TEST(LoggerTest, TraceFieldsFromAWellFormedCloudTraceContext) {
  const auto j = logged({{"x-cloud-trace-context", "105445aa7843bc8bf206b12000100000/123;o=1"}});
  EXPECT_EQ(j["logging.googleapis.com/trace"], "projects/proj/traces/105445aa7843bc8bf206b12000100000");
  EXPECT_EQ(j["logging.googleapis.com/spanId"], "123");
  EXPECT_EQ(j["logging.googleapis.com/trace_sampled"], true);
  const auto unsampled = logged({{"x-cloud-trace-context", "105445aa7843bc8bf206b12000100000"}});
  EXPECT_EQ(unsampled["logging.googleapis.com/trace_sampled"], false);
  EXPECT_FALSE(unsampled.contains("logging.googleapis.com/spanId"));
}

TEST(LoggerTest, TraceFieldsFromAW3cTraceparent) {
  const auto j = logged({{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}});
  EXPECT_EQ(j["logging.googleapis.com/trace"], "projects/proj/traces/4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(j["logging.googleapis.com/spanId"], "00f067aa0ba902b7");
  EXPECT_EQ(j["logging.googleapis.com/trace_sampled"], true);
}

TEST(LoggerTest, AMalformedTraceHeaderGivesNoTraceField) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"x-cloud-trace-context", "\"}evil"},
           {"x-cloud-trace-context", "105445aa7843bc8bf206b12000100000x/1"},
           {"x-cloud-trace-context", std::string(32, '0') + "/1"},
           {"traceparent", "garbage-garbage-garbage-garbage-garbage-garbage-garbage"},
           {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"},
           {"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}}) {
    const auto j = logged({{name, value}});
    EXPECT_FALSE(j.contains("logging.googleapis.com/trace")) << name << ": " << value << " -> " << j.dump();
  }
}

}  // namespace
}  // namespace verdict::server

#include "verdict/server/api_error.h"

#include <nlohmann/json.hpp>

namespace verdict::server {

ApiError from_error(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument: return {422, "validation", e.message};
    case ErrorCode::kOverloaded: return {429, "overloaded", e.message};
    case ErrorCode::kUnavailable: return {503, "unhealthy", e.message};
    case ErrorCode::kDeadlineExceeded: return {504, "timeout", e.message};
    // nginx's 499: nobody reads it, but metrics and the request log tell it from a 503.
    case ErrorCode::kCancelled: return {499, "client_closed", e.message};
    case ErrorCode::kNotFound: return {404, "not_found", e.message};
    case ErrorCode::kCorruptModel: return {500, "backend", e.message};  // the operator's model, not the client's input
    default: return {500, "backend", "inference failed"};
  }
}

HttpResponse error_response(const ApiError& e) {
  HttpResponse r;
  r.status = e.status;
  r.body = nlohmann::json{{"error", e.message}, {"error_type", e.type}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (e.status == 429) r.headers.emplace_back("Retry-After", "1");
  if (e.status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

}  // namespace verdict::server

// Errors as HTTP sees them, mapped from the engine's ErrorCode in exactly one place. Every
// route answers errors as {"error": message, "error_type": type}: TEI's body, which the
// Hugging Face and KServe clients read through its "error" field.
#pragma once

#include <string>

#include "verdict/common/error.h"
#include "verdict/server/http_server.h"

namespace verdict::server {

struct ApiError {
  int status = 500;
  std::string type;  // validation | tokenizer | overloaded | unhealthy | backend | empty | ...
  std::string message;

  static ApiError validation(std::string message) { return {422, "validation", std::move(message)}; }
  static ApiError bad_request(std::string message) { return {400, "validation", std::move(message)}; }
  static ApiError empty(std::string message) { return {400, "empty", std::move(message)}; }
  static ApiError too_large(std::string message) { return {413, "validation", std::move(message)}; }
  static ApiError not_found(std::string message) { return {404, "not_found", std::move(message)}; }
  static ApiError unauthorized(std::string message) { return {401, "unauthorized", std::move(message)}; }
};

// kInvalidArgument -> 422 validation, kOverloaded -> 429, kUnavailable -> 503 unhealthy,
// kDeadlineExceeded -> 504, kCancelled -> 499 client_closed, anything else -> 500 backend (with a generic message: no internals).
ApiError from_error(const Error& error);

HttpResponse error_response(const ApiError& error);

}  // namespace verdict::server

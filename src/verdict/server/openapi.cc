#include "verdict/openapi_json.h"
#include "verdict/server/service.h"

namespace verdict::server {

std::string_view openapi_document() { return kOpenApiJson; }

}  // namespace verdict::server

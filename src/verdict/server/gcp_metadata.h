// The Google Cloud project a Cloud Run (or GKE, GCE) instance runs in, read from the metadata
// server: Cloud Run sets no GOOGLE_CLOUD_PROJECT, and without the project Cloud Logging cannot
// link a log line's trace id to its trace (`projects/PROJECT/traces/TRACE_ID`).
#pragma once

#include <chrono>
#include <string>

namespace verdict::server {

// The metadata server's project-id, or "" when it did not answer within `timeout` or answered
// something that is not a project id. The host is $GCE_METADATA_HOST (Google's client libraries
// honour the same variable), else metadata.google.internal.
std::string project_from_metadata_server(std::chrono::milliseconds timeout);

// Whether the process runs on Cloud Run (Knative sets K_SERVICE), where the lookup is worth it.
bool on_cloud_run();

}  // namespace verdict::server

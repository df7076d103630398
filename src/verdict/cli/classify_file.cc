#include <iostream>

#include "verdict/batch/batch_runner.h"
#include "verdict/batch/record_writer.h"
#include "verdict/batch/terminal_report.h"
#include "verdict/cli/batch_files.h"
#include "verdict/cli/commands.h"

namespace verdict::cli {

int run_classify_file(const FileArgs& args, const std::string& output, const std::string& model,
                      const verdict::model::ModelOptions& model_options,
                      const runtime::ClassifyOptions& options) {
  std::ios::sync_with_stdio(false);
  auto in = open_input(args, std::nullopt);
  if (!in.ok()) return fail(in.error().message);
  auto out = OutputFile::open(output, args.input);
  if (!out.ok()) return fail(out.error().message);
  auto pipeline = runtime::Pipeline::load(model, model_options);
  if (!pipeline.ok()) return fail(pipeline.error().message);
  auto writer = batch::RecordWriter::create((*out)->stream(), *in->reader);
  if (!writer.ok()) return fail(writer.error().message);

  batch::RunOptions run;
  run.classify = options;
  run.skip_invalid = args.skip_invalid;
  Progress progress(!args.quiet, in->size);
  batch::ScoreSummary summary((*pipeline)->config().num_labels());
  auto sink = [&](const batch::Record& record, const std::vector<model::LabelScore>& scores) -> Status {
    summary.add(scores[0].label, scores[0].score);
    if (auto st = (*writer)->write(record, scores[0].label, scores[0].score); !st.ok()) {
      return make_error(st.error().code, (*out)->name() + ": " + st.error().message);
    }
    return {};
  };
  auto stats = batch::run_batch(**pipeline, *in->reader, run, sink, {},
                                [&](size_t rows, uint64_t bytes) { progress.update(rows, bytes); });
  progress.clear();
  if (!stats.ok()) return fail(stats.error().message);
  if (auto st = (*out)->commit(); !st.ok()) return fail(st.error().message);
  if (!args.quiet) std::cerr << summary.render(progress.seconds(), stats->skipped, stats->first_skipped);
  return 0;
}

}  // namespace verdict::cli

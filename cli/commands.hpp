// The subcommands of `linlearn`. Each registers its options on the CLI11 app and
// returns the function that runs it.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace linlearn::cli {
using Action = std::function<int()>;
Action add_train(CLI::App& app);
Action add_predict(CLI::App& app);
Action add_evaluate(CLI::App& app);
Action add_sink_check(CLI::App& app);
Action add_compare(CLI::App& app);
Action add_report(CLI::App& app);
}  // namespace linlearn::cli

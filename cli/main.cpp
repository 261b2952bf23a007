// linlearn: train, predict and evaluate linear models from the command line.
// Written against the C ABI only (linlearn.h), like any other host program.
#include <iostream>
#include <map>

#include "commands.hpp"
#include "common.hpp"

int main(int argc, char** argv) {
    using namespace linlearn::cli;
    CLI::App app{"linlearn " + std::string(ll_version_string()) +
                 ": train linear models the way SageMaker's Linear Learner does, with every "
                 "epoch's metrics sent to pluggable sinks"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string(ll_version_string()));
    std::map<CLI::App*, Action> actions;
    auto sub = [&](const char* name, const char* help, Action (*add)(CLI::App&)) {
        CLI::App* s = app.add_subcommand(name, help);
        actions[s] = add(*s);
    };
    sub("train", "train a model; write it and its metrics to an output folder", add_train);
    sub("predict", "predict with a saved model (scores and labels)", add_predict);
    sub("evaluate", "print a saved model's metrics on labelled data", add_evaluate);
    sub("compare", "finished runs side by side: differing hyperparameters, final metrics, best epoch, time",
        add_compare);
    sub("report", "learning curves of one or more runs as one self-contained HTML file", add_report);
    sub("sink-check", "load a sink plugin and drive it through a synthetic run", add_sink_check);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);
        std::cerr << "linlearn: error: " << e.what() << " (see linlearn --help)\n";
        return 2;
    }
    try {
        for (auto& [s, action] : actions)
            if (s->parsed()) return action();
    } catch (const CommandError& e) {
        std::cerr << "linlearn: error: " << e.what() << "\n";
        return e.code;
    } catch (const std::exception& e) {
        std::cerr << "linlearn: error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

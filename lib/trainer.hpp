// train(): the whole run — checks, scaling, mini-batch epochs for every model at once,
// per-epoch evaluation, selection of the best (model, epoch), threshold calibration,
// early stopping, events. See docs/architecture.md.
#pragma once
#include <atomic>
#include <functional>
#include <string>

#include "dataset.hpp"
#include "events.hpp"
#include "hyperparams.hpp"
#include "model.hpp"

namespace linlearn {

struct TrainOptions {
    std::string run_id;               // empty: generated
    std::string model_path;           // empty: not saved
    const std::atomic<bool>* cancel = nullptr;  // polled before every mini-batch
    EventHandler on_event;            // may be empty
    // Incremental training: every model starts from this model's weights, and from its
    // scaler and optimizer moments when it carries them (TrainingState).
    const LinearModel* initial_model = nullptr;
    // When on_event stops the run (returns false), whether a stop rule did (AlertMonitor):
    // the run then ends early_stopped, with an early_stop event, reason as the message,
    // instead of cancelled. Empty, or an empty reason: a plain cancellation.
    struct RuleStop {
        int epoch = -1;      // the epoch after which the rule stopped the run
        std::string reason;  // "" when no rule stopped it
    };
    std::function<RuleStop()> rule_stop;
};

// Returns the selected model. A run cancelled (or stopped by on_event) after at least
// one epoch returns the best checkpoint with status cancelled; before that it throws
// Error(cancelled). validation and test may be null.
LinearModel train(const Hyperparameters& hp, const Dataset& train, const Dataset* validation,
                  const Dataset* test, const TrainOptions& options);

std::string new_run_id();

}  // namespace linlearn

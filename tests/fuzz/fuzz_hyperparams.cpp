// libFuzzer target: the hyperparameter JSON parser (Hyperparameters::set_json in
// lib/hyperparams.cpp) and resolve() (lib/resolve.cpp) on what it accepts.
// Checks, beyond "no crash, no leak, no UB, only linlearn::Error thrown":
//  - a refused object changes nothing (all or nothing) and is invalid_argument;
//  - every stored value is accepted back by set();
//  - resolve() either refuses (invalid_argument) or gives a usable configuration:
//    1 <= mini_batch_size <= rows, 1..1024 models, epochs and early_stopping_patience >= 1
//    (corpus/hyperparams/regression_*: values beyond int used to wrap, and a number beyond
//    double escaped as nlohmann's out_of_range).
#include <string>

#include "error.hpp"
#include "hyperparams.hpp"

using namespace linlearn;

namespace {

void require(bool ok) {
    if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    Hyperparameters hp;
    const auto defaults = hp.values();
    try {
        hp.set_json(text);
    } catch (const Error& e) {
        require(e.code() == ErrorCode::invalid_argument);
        require(hp.values() == defaults);
        return 0;
    }
    for (const auto& [key, value] : hp.values()) {
        if (key == "predictor_type" && value.empty()) continue;  // required, no default
        Hyperparameters copy = hp;
        copy.set(key, value);  // throws (and so fails the run) if a stored value is refused
        require(copy.get(key) == value);
    }
    for (int64_t rows : {int64_t(1), int64_t(37), int64_t(20000)}) {
        TrainConfig c;
        try {
            c = hp.resolve(rows);
        } catch (const Error& e) {
            require(e.code() == ErrorCode::invalid_argument);
            continue;
        }
        require(c.mini_batch_size >= 1 && c.mini_batch_size <= rows);
        require(c.num_models() >= 1 && c.num_models() <= 1024);
        require(c.outputs() >= 1);
        for (const auto& m : c.models) require(m.learning_rate > 0 && m.lr_scheduler_step >= 1);
        require(c.epochs >= 1 && c.early_stopping_patience >= 1);
    }
    return 0;
}

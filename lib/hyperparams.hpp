// Hyperparameters by their SageMaker names, kept as text as the user gave them, each
// value validated on entry; resolve() turns them into a TrainConfig.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config.hpp"

namespace linlearn {

class Hyperparameters {
public:
    Hyperparameters();

    // Validates and stores one value; throws Error(invalid_argument) naming the key, the
    // value and what is allowed (with a "did you mean" for a near-miss key).
    void set(const std::string& key, const std::string& value);
    // A JSON object of key -> string/number/bool. All or nothing.
    void set_json(const std::string& json);
    const std::string& get(const std::string& key) const;
    const std::map<std::string, std::string>& values() const { return values_; }

    // Resolves "auto", checks the values against each other, and spreads the settings of
    // the num_models models. n_train: training rows (for mini_batch_size and the scheduler).
    TrainConfig resolve(int64_t n_train) const;

    static const std::vector<std::string>& names();

private:
    std::map<std::string, std::string> values_;
};

}  // namespace linlearn

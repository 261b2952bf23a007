// Shared pieces of the `linlearn` command: owning wrappers for the C handles, the
// status check that turns a failed call into a one-line error, file output.
#pragma once
#include <memory>
#include <stdexcept>
#include <string>

#include "linlearn/linlearn.h"

namespace linlearn::cli {

// A failed command: main prints "linlearn: error: <what>" and exits with `code`.
struct CommandError : std::runtime_error {
    int code;
    explicit CommandError(const std::string& what, int c = 1) : std::runtime_error(what), code(c) {}
};

// Throws CommandError with ll_last_error() when status is not LL_OK.
void check(int status);

struct DatasetDeleter { void operator()(ll_dataset* d) const { ll_dataset_free(d); } };
struct TrainerDeleter { void operator()(ll_trainer* t) const { ll_trainer_free(t); } };
struct ModelDeleter { void operator()(ll_model* m) const { ll_model_free(m); } };
using Dataset = std::unique_ptr<ll_dataset, DatasetDeleter>;
using Trainer = std::unique_ptr<ll_trainer, TrainerDeleter>;
using Model = std::unique_ptr<ll_model, ModelDeleter>;

Dataset load_dataset(const std::string& path, const std::string& options);
Model load_model(const std::string& path);
ll_model_info model_info(const ll_model* m);

// Writes text to path as the library writes a model (plugins/common/atomic_write.hpp):
// replaced atomically, through a symbolic link, or in place into a device or FIFO;
// "-" is standard output.
void write_output(const std::string& path, const std::string& text);
std::string read_text(const std::string& path);

}  // namespace linlearn::cli

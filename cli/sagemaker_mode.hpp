// `linlearn train --sagemaker`: SageMaker's training-container contract, so that the same
// binary runs as a SageMaker training image.
//
// The contract (under the root, /opt/ml in a real container):
//   input/config/hyperparameters.json   the job's hyperparameters, every value a string
//   input/config/inputdataconfig.json   per channel: ContentType, TrainingInputMode (optional)
//   input/data/<channel>/               the files of the channel: train (required),
//                                       validation and test (optional)
//   model/                              what is saved there becomes model.tar.gz
//   output/failure                      on failure: the reason, shown as FailureReason
//   output/data/                        other outputs, uploaded as output.tar.gz
#pragma once
#include <string>
#include <vector>

namespace linlearn::cli {

// What a job reads and where it writes, resolved from the root.
class SageMakerJob {
   public:
    explicit SageMakerJob(const std::string& root);  // throws CommandError on a bad layout
    ~SageMakerJob();                                  // removes the concatenated channels
    SageMakerJob(const SageMakerJob&) = delete;
    SageMakerJob& operator=(const SageMakerJob&) = delete;

    std::string hyperparameters;          // the JSON text of hyperparameters.json
    std::string train, validation, test;  // one file per channel; "" for an absent channel
    std::string data_options;             // "format=csv" or "format=libsvm"
    std::string model_path;               // <root>/model/model.llmodel
    std::string output_dir;               // <root>/output/data: metrics.json, events.jsonl, ...

    // An error message that names a concatenated file, with which lines came from which
    // of the channel's files, so that "file:line:column" leads back to the user's data.
    std::string explain(const std::string& message) const;

   private:
    struct Temporary {
        std::string path, channel, lines;  // lines: "a.csv: 1-200, b.csv: 201-341"
    };
    std::string channel_file(const std::string& root, const std::string& channel);
    std::vector<Temporary> temporaries_;
};

// Writes the reason to <root>/output/failure; never throws (it runs while failing).
void write_sagemaker_failure(const std::string& root, const std::string& reason);

}  // namespace linlearn::cli

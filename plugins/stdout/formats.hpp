// The formats of the stdout sink: each turns an event into the text to print ("" for
// nothing). A format keeps what it needs from earlier events of the run.
#pragma once
#include <memory>
#include <string>

#include "linlearn/event.h"

namespace linlearn::sinks {

class Format {
public:
    virtual ~Format() = default;
    virtual std::string render(const ll_event& ev) = 0;
};

// An aligned progress table: key metrics of the best model so far per phase, time,
// throughput, '*' on the epoch of the best model so far; then a summary of the run.
std::unique_ptr<Format> table_format();

// SageMaker Linear Learner's log lines (#quality_metric:, #metrics, ...), so that its
// published MetricDefinition regexes match them unchanged. host is the "host=" value.
std::unique_ptr<Format> sagemaker_format(const std::string& host);

// The json sink's lines (event_json.hpp).
std::unique_ptr<Format> jsonl_format(bool per_model);

}  // namespace linlearn::sinks

// Which EMF documents an event becomes: every value is qualified by run id, host and, for
// metrics, model and phase; the qualifiers chosen as dimensions (dimensions=) become
// dimension members, and the others go into the metric's name, so that two different
// series never share a CloudWatch metric (namespace + name + dimension values).
//
//   dimensions=run_id+model+phase+host (the default), validation metric of the best model:
//     {"RunId":"r1","Model":"best","Phase":"validation","Host":"h","objective_loss":0.31}
//   dimensions=run_id+host, per_model=true, model 3:
//     {"RunId":"r1","Host":"h","model_3:validation:objective_loss":0.33}
//
// Model is "best" (the best model so far, in epoch_end), the model's index (per_model=true)
// or "final" (the selected model's final metrics, in run_end). Values without a model or
// phase (elapsed_time, learning_rate, throughput, total_time, sink_time) go into documents
// whose dimensions are only run id and host; so does "alerts" (Count, 1), the document of
// each "alert" diagnostic (an alert or stop rule fired), with its Code and Message.
#pragma once
#include <string>
#include <vector>

#include "emf_document.hpp"
#include "linlearn/event.h"

namespace linlearn::sinks {

struct EmfLayout {
    // The qualifiers that are dimensions.
    bool run_id = true, model = true, phase = true, host = true;
    bool per_model = false;  // a series per model besides the best one
    std::string host_name;
};

// Reads dimensions=: names among run_id, model, phase, host joined by '+' (',' separates
// the options of a sink spec), or "none". Throws std::invalid_argument naming the mistake.
void parse_dimensions(const std::string& text, EmfLayout& layout);

// Dimension values must be ASCII with something besides whitespace, at most 1024
// characters: others are replaced by '_', an empty value becomes "unknown".
std::string emf_dimension_value(const std::string& text);

// The metric groups of an event; none for kinds without metrics.
std::vector<EmfGroup> emf_groups(const ll_event& ev, const EmfLayout& layout);

}  // namespace linlearn::sinks

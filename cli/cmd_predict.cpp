// linlearn predict / evaluate: apply a saved model to a file.
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "sink_check.hpp"

namespace linlearn::cli {

namespace {

bool is_libsvm(const std::string& path, const std::string& options) {
    if (options.find("format=libsvm") != std::string::npos) return true;
    if (options.find("format=csv") != std::string::npos) return false;
    for (const char* ext : {".libsvm", ".svm", ".svmlight"}) {
        const std::string e = ext;
        if (path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0) return true;
    }
    return false;
}

// SageMaker's inference CSV has no label column; a labelled file (one column more than
// the model's features) is accepted too, its first column ignored.
std::string csv_options_for(const std::string& path, const std::string& options, int64_t features) {
    if (is_libsvm(path, options) || options.find("label_column") != std::string::npos) return options;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line) && line.find_first_not_of(" \t\r") == std::string::npos) {
    }
    const char delim = options.find("delimiter=tab") != std::string::npos ? '\t' : ',';
    int64_t cols = 1;
    for (char c : line) cols += c == delim;
    if (options.find("header=true") != std::string::npos) std::getline(in, line);
    const std::string sep = options.empty() ? "" : ",";
    return options + sep + (cols == features + 1 ? "label_column=0" : "label_column=-1");
}

std::string number(double v) {
    std::ostringstream o;
    o.precision(9);
    o << v;
    return o.str();
}

std::string format_predictions(const ll_model_info& info, const std::vector<double>& score,
                               const std::vector<double>& label, int64_t rows, const std::string& fmt) {
    const int K = info.num_outputs;
    const bool classifier = info.predictor_type != LL_REGRESSOR;
    std::ostringstream o;
    auto score_text = [&](int64_t i) {
        if (info.predictor_type != LL_MULTICLASS_CLASSIFIER) return number(score[i]);
        std::string s = "[";
        for (int k = 0; k < K; ++k) s += (k ? "," : "") + number(score[i * K + k]);
        return s + "]";
    };
    if (fmt == "csv") {
        if (info.predictor_type == LL_MULTICLASS_CLASSIFIER)
            for (int k = 0; k < K; ++k) o << "score_" << k << ",";
        else
            o << "score" << (classifier ? "," : "");
        o << (classifier ? "predicted_label" : "") << "\n";
        for (int64_t i = 0; i < rows; ++i) {
            std::string s = score_text(i);
            if (s.front() == '[') s = s.substr(1, s.size() - 2);
            o << s << (classifier ? "," + number(label[i]) : "") << "\n";
        }
        return o.str();
    }
    auto object = [&](int64_t i) {
        return "{\"score\":" + score_text(i) + (classifier ? ",\"predicted_label\":" + number(label[i]) : "") + "}";
    };
    if (fmt == "jsonlines") {
        for (int64_t i = 0; i < rows; ++i) o << object(i) << "\n";
        return o.str();
    }
    o << "{\"predictions\":[";
    for (int64_t i = 0; i < rows; ++i) o << (i ? "," : "") << object(i);
    o << "]}\n";
    return o.str();
}

struct PredictArgs {
    std::string model, input, output = "-", format = "csv", data_options;
};

int run_predict(const PredictArgs& a) {
    Model model = load_model(a.model);
    const ll_model_info info = model_info(model.get());
    Dataset data = load_dataset(a.input, csv_options_for(a.input, a.data_options, info.num_features));
    int64_t rows = 0;
    check(ll_dataset_shape(data.get(), &rows, nullptr));
    std::vector<double> score(static_cast<size_t>(rows * info.num_outputs)), label(static_cast<size_t>(rows));
    check(ll_model_predict(model.get(), data.get(), LL_PREDICT_SCORE, score.data(), score.size(), nullptr));
    check(ll_model_predict(model.get(), data.get(), LL_PREDICT_LABEL, label.data(), label.size(), nullptr));
    write_output(a.output, format_predictions(info, score, label, rows, a.format));
    return 0;
}

struct EvaluateArgs {
    std::string model, input, data_options;
};

int run_evaluate(const EvaluateArgs& a) {
    Model model = load_model(a.model);
    Dataset data = load_dataset(a.input, a.data_options);
    size_t needed = 0;
    ll_model_evaluate(model.get(), data.get(), nullptr, 0, &needed);  // sizes the buffer
    std::string buf(needed, '\0');
    check(ll_model_evaluate(model.get(), data.get(), buf.data(), buf.size(), &needed));
    std::cout << buf.c_str() << "\n";
    return 0;
}

}  // namespace

Action add_predict(CLI::App& app) {
    auto a = std::make_shared<PredictArgs>();
    app.add_option("-m,--model", a->model, "a model file written by linlearn train")->required()->check(CLI::ExistingFile);
    app.add_option("-i,--input", a->input, "features: CSV without a label column (or with the label "
                                           "first: it is ignored), or libsvm")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("-o,--output", a->output, "where to write the predictions (default: standard output)");
    app.add_option("-f,--format", a->format, "csv (header + one row per input row), json "
                                             "({\"predictions\":[...]}, SageMaker's shape) or jsonlines")
        ->check(CLI::IsMember({"csv", "json", "jsonlines"}));
    app.add_option("--data-options", a->data_options, "as for train");
    return [a] { return run_predict(*a); };
}

Action add_evaluate(CLI::App& app) {
    auto a = std::make_shared<EvaluateArgs>();
    app.add_option("-m,--model", a->model, "a model file written by linlearn train")->required()->check(CLI::ExistingFile);
    app.add_option("-i,--input", a->input, "labelled data (CSV with the label first, or libsvm)")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--data-options", a->data_options, "as for train");
    return [a] { return run_evaluate(*a); };
}

Action add_sink_check(CLI::App& app) {
    auto path = std::make_shared<std::string>();
    app.add_option("path", *path, "the plugin's shared library")->required();
    return [path] { return sink_check(*path, std::cout); };
}

}  // namespace linlearn::cli

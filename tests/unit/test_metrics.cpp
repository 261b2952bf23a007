// Unit tests of lib/metrics: hand-computed cases, brute-force references written here (pairwise
// AUC, confusion-matrix loops) on random data full of ties, and scikit-learn itself, run live
// through /usr/bin/python3 or, where it is missing, a table of its values stored below.
#include "error.hpp"
#include "metrics.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using linlearn::MetricList;

namespace {

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string str(double v) {
    std::ostringstream s;
    s << std::setprecision(17) << v;
    return s.str();
}

// Equal to 1e-9 relative; NaN matches only NaN.
bool close(double got, double want) {
    if (std::isnan(got) || std::isnan(want)) return std::isnan(got) && std::isnan(want);
    return got == want || std::abs(got - want) <= 1e-9 * std::max(std::abs(got), std::abs(want));
}

void check_close(double got, double want, const std::string& what) {
    CHECK_MESSAGE(close(got, want), what << ": got " << str(got) << ", want " << str(want));
}

// Same names in the same order, values close.
void check_list(const MetricList& got, const MetricList& want, const std::string& where) {
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
        CHECK(got[i].name == want[i].name);
        check_close(got[i].value, want[i].value, where + " " + want[i].name);
    }
}

MetricList named(const std::vector<std::string>& names, const std::vector<double>& values) {
    MetricList out;
    for (size_t i = 0; i < names.size(); ++i) out.push_back({names[i], values[i]});
    return out;
}

const std::vector<std::string> kBinaryNames = {"binary_classification_accuracy", "precision",
                                               "recall", "binary_f_beta", "roc_auc_score",
                                               "log_loss"};
const std::vector<std::string> kMulticlassNames = {
    "multiclass_accuracy", "multiclass_top_k_accuracy", "macro_precision", "macro_recall",
    "macro_f_beta", "multiclass_balanced_accuracy", "dcg", "multiclass_log_loss"};
const std::vector<std::string> kRegressionNames = {"mse", "rmse", "absolute_loss", "r2"};

// Raw mt19937 outputs are fixed by the standard, std's distributions are not: the stored
// sklearn table must describe the same data under any standard library.
class Draw {
public:
    explicit Draw(unsigned seed) : g_(seed) {}
    int below(int n) { return static_cast<int>(g_() % static_cast<unsigned>(n)); }

private:
    std::mt19937 g_;
};

const float* weights_or_null(const std::vector<float>& w) { return w.empty() ? nullptr : w.data(); }
Eigen::Map<const Vec> as_vec(const std::vector<double>& v) {
    return Eigen::Map<const Vec>(v.data(), static_cast<Eigen::Index>(v.size()));
}

// ---- cases -------------------------------------------------------------------------------

struct BinaryCase {
    std::string name;
    std::vector<double> score;
    std::vector<float> label, weight;  // weight empty: unweighted
    double threshold = 0.5, beta = 1;
    bool prob = true;
    MetricList run() const {
        return linlearn::binary_metrics(as_vec(score), label.data(), weights_or_null(weight),
                                        threshold, beta, prob);
    }
};

// Scores on a 0.1 grid (many ties); a row is positive with a probability rising with its score
// so the AUC says something. Weights are multiples of 1/4: exact in float and in JSON.
BinaryCase binary_case(std::string name, unsigned seed, int n, bool weighted, bool prob,
                       double threshold, double beta) {
    Draw d(seed);
    BinaryCase c{std::move(name), {}, {}, {}, threshold, beta, prob};
    for (int i = 0; i < n; ++i) {
        const int step = d.below(11);
        c.score.push_back(prob ? step / 10.0 : (2 * step - 10) / 10.0);
        c.label.push_back(d.below(11) <= step ? 1.0f : 0.0f);
        if (weighted) c.weight.push_back(static_cast<float>(1 + d.below(8)) / 4);
    }
    return c;
}

struct MulticlassCase {
    std::string name;
    Mat prob;
    std::vector<float> label, weight;
    int k = 1;
    double beta = 1;
    MetricList run() const {
        return linlearn::multiclass_metrics(prob, label.data(), weights_or_null(weight), k, beta);
    }
};

// Probabilities a_j / sum(a), a_j in 1..4: ties are common and no probability is 0 (sklearn's
// log_loss clips at another bound). Labels lie in [0, labelled): classes from `labelled` up are
// absent. Half of them are the most probable labelled class, so accuracy says something.
MulticlassCase multiclass_case(std::string name, unsigned seed, int n, int classes, int labelled,
                               bool weighted, int k, double beta) {
    Draw d(seed);
    MulticlassCase c{std::move(name), Mat(n, classes), {}, {}, k, beta};
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < classes; ++j) c.prob(i, j) = 1 + d.below(4);
        c.prob.row(i) /= c.prob.row(i).sum();
        int best = 0;
        for (int j = 1; j < labelled; ++j) best = c.prob(i, j) > c.prob(i, best) ? j : best;
        c.label.push_back(static_cast<float>(d.below(2) ? best : d.below(labelled)));
        if (weighted) c.weight.push_back(static_cast<float>(1 + d.below(8)) / 4);
    }
    return c;
}

struct RegressionCase {
    std::string name;
    std::vector<double> pred;
    std::vector<float> label, weight;
    MetricList run() const {
        return linlearn::regression_metrics(as_vec(pred), label.data(), weights_or_null(weight));
    }
};

// Predictions on a 1/4 grid, labels = prediction + noise on a 1/8 grid.
RegressionCase regression_case(std::string name, unsigned seed, int n, bool weighted) {
    Draw d(seed);
    RegressionCase c{std::move(name), {}, {}, {}};
    for (int i = 0; i < n; ++i) {
        const double p = d.below(41) / 4.0 - 5;
        c.pred.push_back(p);
        c.label.push_back(static_cast<float>(p + (d.below(17) - 8) / 8.0));
        if (weighted) c.weight.push_back(static_cast<float>(1 + d.below(8)) / 4);
    }
    return c;
}

double weight_at(const std::vector<float>& w, size_t i) { return w.empty() ? 1.0 : w[i]; }

// ---- brute-force references ----------------------------------------------------------------

// AUC by its definition: the weighted fraction of (positive, negative) pairs ordered
// correctly, a tie counting 1/2.
double pairwise_auc(const BinaryCase& c) {
    double good = 0, pairs = 0;
    for (size_t i = 0; i < c.score.size(); ++i) {
        for (size_t j = 0; j < c.score.size(); ++j) {
            if (c.label[i] != 1 || c.label[j] != 0) continue;
            const double ww = weight_at(c.weight, i) * weight_at(c.weight, j);
            pairs += ww;
            good += c.score[i] > c.score[j] ? ww : c.score[i] == c.score[j] ? ww / 2 : 0;
        }
    }
    return pairs > 0 ? good / pairs : kNaN;
}

// F-beta from confusion counts, the other textbook form: (1+b²)TP / ((1+b²)TP + b²FN + FP).
double f_from_counts(double tp, double fp, double fn, double beta) {
    const double b2 = beta * beta;
    return tp > 0 ? (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp) : 0.0;
}

MetricList binary_reference(const BinaryCase& c) {
    double tp = 0, fp = 0, fn = 0, tn = 0, loss = 0;
    for (size_t i = 0; i < c.score.size(); ++i) {
        const double w = weight_at(c.weight, i);
        const bool positive = c.label[i] == 1, predicted = c.score[i] > c.threshold;
        (positive ? (predicted ? tp : fn) : (predicted ? fp : tn)) += w;
        const double p = std::min(std::max(c.score[i], 1e-15), 1 - 1e-15);
        loss -= w * std::log(positive ? p : 1 - p);
    }
    const double total = tp + fp + fn + tn;
    std::vector<double> v = {(tp + tn) / total, tp + fp > 0 ? tp / (tp + fp) : 0,
                             tp + fn > 0 ? tp / (tp + fn) : 0, f_from_counts(tp, fp, fn, c.beta),
                             pairwise_auc(c)};
    if (c.prob) v.push_back(loss / total);
    return named({kBinaryNames.begin(), kBinaryNames.begin() + v.size()}, v);
}

// Class indices sorted by probability descending; among ties the lower index first, or the
// higher one first (sklearn's top-k order: a stable ascending argsort, reversed).
std::vector<int> classes_by_prob(const Mat& prob, Eigen::Index row, bool higher_first) {
    std::vector<int> order(static_cast<size_t>(prob.cols()));
    std::iota(order.begin(), order.end(), 0);
    if (higher_first) std::reverse(order.begin(), order.end());
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return prob(row, a) > prob(row, b); });
    return order;
}

MetricList multiclass_reference(const MulticlassCase& c) {
    const Eigen::Index classes = c.prob.cols();
    Mat confusion = Mat::Zero(classes, classes);  // rows: true class, columns: predicted
    double total = 0, top = 0, dcg = 0, loss = 0;
    for (Eigen::Index i = 0; i < c.prob.rows(); ++i) {
        const int y = static_cast<int>(c.label[i]);
        const double w = weight_at(c.weight, static_cast<size_t>(i));
        const std::vector<int> order = classes_by_prob(c.prob, i, false);
        const std::vector<int> sk = classes_by_prob(c.prob, i, true);
        const auto k = std::min<Eigen::Index>(std::max(c.k, 1), classes);
        const auto rank = std::find(order.begin(), order.end(), y) - order.begin() + 1;
        total += w;
        confusion(y, order[0]) += w;
        top += std::find(sk.begin(), sk.begin() + k, y) != sk.begin() + k ? w : 0;
        dcg += w / std::log2(1.0 + static_cast<double>(rank));
        loss -= w * std::log(std::max(c.prob(i, y), 1e-15));
    }
    double sp = 0, sr = 0, sf = 0, sbal = 0;
    int present = 0;
    for (Eigen::Index k = 0; k < classes; ++k) {
        const double tp = confusion(k, k), predicted = confusion.col(k).sum(),
                     actual = confusion.row(k).sum();
        sp += predicted > 0 ? tp / predicted : 0;
        sr += actual > 0 ? tp / actual : 0;
        sf += f_from_counts(tp, predicted - tp, actual - tp, c.beta);
        if (actual > 0) {
            sbal += tp / actual;
            ++present;
        }
    }
    const double kc = static_cast<double>(classes);
    return named(kMulticlassNames, {confusion.trace() / total, top / total, sp / kc, sr / kc,
                                    sf / kc, sbal / present, dcg / total, loss / total});
}

// SS_tot from pairs, sum_{i<j} w_i w_j (y_i - y_j)^2 / W: no mean needed, exact 0 when constant.
MetricList regression_reference(const RegressionCase& c) {
    double total = 0, ss_res = 0, abs_err = 0, pair_ss = 0;
    for (size_t i = 0; i < c.pred.size(); ++i) {
        const double w = weight_at(c.weight, i), e = c.pred[i] - c.label[i];
        total += w;
        ss_res += w * e * e;
        abs_err += w * std::abs(e);
        for (size_t j = 0; j < i; ++j) {
            const double d = double(c.label[i]) - c.label[j];
            pair_ss += w * weight_at(c.weight, j) * d * d;
        }
    }
    const double ss_tot = pair_ss / total;
    const double r2 = ss_tot != 0 ? 1 - ss_res / ss_tot : ss_res == 0 ? 1.0 : 0.0;
    return named(kRegressionNames,
                 {ss_res / total, std::sqrt(ss_res / total), abs_err / total, r2});
}

// ---- scikit-learn --------------------------------------------------------------------------

struct Suite {
    std::vector<BinaryCase> binary;
    std::vector<MulticlassCase> multiclass;
    std::vector<RegressionCase> regression;
};

Suite sklearn_suite() {
    return {{binary_case("bin_prob", 1, 300, false, true, 0.5, 1.0),
             binary_case("bin_prob_w", 2, 300, true, true, 0.5, 0.5),
             binary_case("bin_margin_w", 3, 300, true, false, 0.0, 2.0)},
            {multiclass_case("mc", 4, 300, 4, 4, false, 2, 1.0),
             multiclass_case("mc_absent_w", 5, 300, 5, 4, true, 3, 2.0)},
            {regression_case("reg", 6, 300, false), regression_case("reg_w", 7, 300, true)}};
}

nlohmann::json weights_json(const std::vector<float>& w) {
    return w.empty() ? nlohmann::json(nullptr) : nlohmann::json(w);
}

nlohmann::json to_json(const Suite& s) {
    nlohmann::json j = {{"binary", nlohmann::json::array()},
                        {"multiclass", nlohmann::json::array()},
                        {"regression", nlohmann::json::array()}};
    for (const auto& c : s.binary)
        j["binary"].push_back({{"name", c.name}, {"score", c.score}, {"label", c.label},
                               {"weight", weights_json(c.weight)}, {"threshold", c.threshold},
                               {"beta", c.beta}, {"prob", c.prob}});
    for (const auto& c : s.multiclass) {
        nlohmann::json rows = nlohmann::json::array();
        for (Eigen::Index i = 0; i < c.prob.rows(); ++i) {
            const Vec row = c.prob.row(i).transpose();
            rows.push_back(std::vector<double>(row.data(), row.data() + row.size()));
        }
        j["multiclass"].push_back({{"name", c.name}, {"prob", rows}, {"K", c.prob.cols()},
                                   {"label", c.label}, {"weight", weights_json(c.weight)},
                                   {"k", c.k}, {"beta", c.beta}});
    }
    for (const auto& c : s.regression)
        j["regression"].push_back({{"name", c.name}, {"pred", c.pred}, {"label", c.label},
                                   {"weight", weights_json(c.weight)}});
    return j;
}

// Case name -> metric name -> value.
using Table = std::map<std::string, std::map<std::string, double>>;

Table ours(const Suite& s) {
    Table t;
    auto add = [&](const std::string& name, const MetricList& m) {
        for (const auto& v : m) t[name][v.name] = v.value;
    };
    for (const auto& c : s.binary) add(c.name, c.run());
    for (const auto& c : s.multiclass) add(c.name, c.run());
    for (const auto& c : s.regression) add(c.name, c.run());
    return t;
}

const char* const kSklearnScript = R"PY(
import json, sys
import numpy as np
from sklearn import metrics as m

data = json.load(open(sys.argv[1]))
out = {}

def weights(c):
    return None if c["weight"] is None else np.array(c["weight"])

for c in data["binary"]:
    s, y, w = np.array(c["score"]), np.array(c["label"]).astype(int), weights(c)
    yhat, b = (s > c["threshold"]).astype(int), c["beta"]
    r = {
        "binary_classification_accuracy": m.accuracy_score(y, yhat, sample_weight=w),
        "precision": m.precision_score(y, yhat, zero_division=0, sample_weight=w),
        "recall": m.recall_score(y, yhat, zero_division=0, sample_weight=w),
        "binary_f_beta": m.fbeta_score(y, yhat, beta=b, zero_division=0, sample_weight=w),
        "roc_auc_score": m.roc_auc_score(y, s, sample_weight=w),
    }
    if c["prob"]:
        # linlearn clips at 1e-15 (sklearn's bound before 1.2): clip first so any sklearn agrees.
        p = np.clip(s, 1e-15, 1 - 1e-15)
        r["log_loss"] = m.log_loss(y, p, labels=[0, 1], sample_weight=w)
    out[c["name"]] = r

for c in data["multiclass"]:
    P, y, w = np.array(c["prob"]), np.array(c["label"]).astype(int), weights(c)
    labels = list(range(c["K"]))
    yhat = P.argmax(axis=1)
    order = np.argsort(-P, axis=1, kind="stable")  # descending, lower index first on ties
    rank = (order == y[:, None]).argmax(axis=1) + 1
    macro = dict(labels=labels, average="macro", zero_division=0, sample_weight=w)
    out[c["name"]] = {
        "multiclass_accuracy": m.accuracy_score(y, yhat, sample_weight=w),
        "multiclass_top_k_accuracy":
            m.top_k_accuracy_score(y, P, k=c["k"], labels=labels, sample_weight=w),
        "macro_precision": m.precision_score(y, yhat, **macro),
        "macro_recall": m.recall_score(y, yhat, **macro),
        "macro_f_beta": m.fbeta_score(y, yhat, beta=c["beta"], **macro),
        "multiclass_balanced_accuracy": m.balanced_accuracy_score(y, yhat, sample_weight=w),
        "dcg": np.average(1 / np.log2(1 + rank), weights=w),
        "multiclass_log_loss": m.log_loss(y, P, labels=labels, sample_weight=w),
    }

for c in data["regression"]:
    p, y, w = np.array(c["pred"]), np.array(c["label"]), weights(c)
    mse = m.mean_squared_error(y, p, sample_weight=w)
    out[c["name"]] = {
        "mse": mse, "rmse": np.sqrt(mse),
        "absolute_loss": m.mean_absolute_error(y, p, sample_weight=w),
        "r2": m.r2_score(y, p, sample_weight=w),
    }

json.dump({k: {n: float(v) for n, v in r.items()} for k, r in out.items()}, open(sys.argv[2], "w"))
)PY";

// Not the python3 on PATH, which may lack sklearn. Overridable to exercise the fallback.
#ifndef LINLEARN_TEST_PYTHON
#define LINLEARN_TEST_PYTHON "/usr/bin/python3"
#endif
const std::string kPython = LINLEARN_TEST_PYTHON;

bool sklearn_available() {
    return std::system((kPython + " -c 'import sklearn' >/dev/null 2>&1").c_str()) == 0;
}

// Writes the suite and the script to a fresh temp folder, runs the script, reads its answer.
Table run_sklearn(const Suite& s) {
    namespace fs = std::filesystem;
    std::string dir = (fs::temp_directory_path() / "linlearn-metrics-XXXXXX").string();
    REQUIRE(mkdtemp(dir.data()) != nullptr);
    const fs::path in = fs::path(dir) / "in.json", out = fs::path(dir) / "out.json",
                   script = fs::path(dir) / "check.py";
    std::ofstream(in) << to_json(s).dump();
    std::ofstream(script) << kSklearnScript;
    const std::string cmd = kPython + " '" + script.string() + "' '" + in.string() +
                            "' '" + out.string() + "'";
    const int rc = std::system(cmd.c_str());
    nlohmann::json answer;
    if (rc == 0) std::ifstream(out) >> answer;
    fs::remove_all(dir);
    REQUIRE_MESSAGE(rc == 0, "the sklearn script failed: " << cmd);
    return answer.get<Table>();
}

// scikit-learn 1.2.1's values for sklearn_suite(), stored for machines without it. The test
// prints a fresh table whenever the live values disagree with this one.
const Table kStoredSklearn = {
    {"bin_margin_w",
     {{"binary_classification_accuracy", 0.75736961451247165},
      {"binary_f_beta", 0.69609261939218525},
      {"precision", 0.86046511627906974},
      {"recall", 0.66436464088397795},
      {"roc_auc_score", 0.82426973132015602}}},
    {"bin_prob",
     {{"binary_classification_accuracy", 0.69666666666666666},
      {"binary_f_beta", 0.70163934426229502},
      {"log_loss", 0.7579213925532795},
      {"precision", 0.80451127819548873},
      {"recall", 0.62209302325581395},
      {"roc_auc_score", 0.79558048691860472}}},
    {"bin_prob_w",
     {{"binary_classification_accuracy", 0.78064516129032258},
      {"binary_f_beta", 0.82285881321251086},
      {"log_loss", 0.67298946618598376},
      {"precision", 0.8491704374057315},
      {"recall", 0.73211963589076723},
      {"roc_auc_score", 0.8515052119469706}}},
    {"mc",
     {{"dcg", 0.82982328201433209},
      {"macro_f_beta", 0.62216985766918076},
      {"macro_precision", 0.65582685091491699},
      {"macro_recall", 0.61653500791431837},
      {"multiclass_accuracy", 0.65333333333333332},
      {"multiclass_balanced_accuracy", 0.61653500791431837},
      {"multiclass_log_loss", 1.2438731466314341},
      {"multiclass_top_k_accuracy", 0.70333333333333337}}},
    {"mc_absent_w",
     {{"dcg", 0.81114802923359086},
      {"macro_f_beta", 0.46744595210870815},
      {"macro_precision", 0.54090634451459196},
      {"macro_recall", 0.46046686043181018},
      {"multiclass_accuracy", 0.60411899313501149},
      {"multiclass_balanced_accuracy", 0.57558357553976269},
      {"multiclass_log_loss", 1.4208044354866058},
      {"multiclass_top_k_accuracy", 0.80778032036613268}}},
    {"reg",
     {{"absolute_loss", 0.54166666666666663},
      {"mse", 0.39354166666666668},
      {"r2", 0.95484093322362984},
      {"rmse", 0.62732899396302944}}},
    {"reg_w",
     {{"absolute_loss", 0.5320754716981132},
      {"mse", 0.38143867924528302},
      {"r2", 0.96388189750231057},
      {"rmse", 0.61760722084937048}}},
};

std::string table_source(const Table& t) {
    std::ostringstream s;
    s << std::setprecision(17) << "const Table kStoredSklearn = {\n";
    for (const auto& [name, metrics] : t) {
        s << "    {\"" << name << "\",\n     {";
        const char* sep = "";
        for (const auto& [metric, value] : metrics) {
            s << sep << "{\"" << metric << "\", " << value << "}";
            sep = ",\n      ";
        }
        s << "}},\n";
    }
    s << "};\n";
    return s.str();
}

// Every value of `got` has a counterpart in `want`, equal to 1e-9 relative.
bool check_table(const Table& got, const Table& want, const std::string& what) {
    bool all = true;
    // Named copies, not structured bindings: doctest's message macros capture in a
    // lambda, and C++17 lambdas cannot capture bindings (clang refuses).
    for (const auto& row : got) {
        const std::string& name = row.first;
        for (const auto& cell : row.second) {
            const std::string& metric = cell.first;
            const double value = cell.second;
            const auto c = want.find(name);
            const bool found = c != want.end() && c->second.count(metric) != 0;
            const double expected = found ? c->second.at(metric) : kNaN;
            const bool ok = found && close(value, expected);
            CHECK_MESSAGE(ok, what << ": " << name << " " << metric << ": got " << str(value)
                                   << ", want " << (found ? str(expected) : "nothing"));
            all = all && ok;
        }
    }
    return all;
}

}  // namespace

// ---- binary ----------------------------------------------------------------------------------

TEST_CASE("metrics: binary, hand-computed cases") {
    // sklearn's roc_auc_score docstring example: AUC 0.75.
    BinaryCase c{"hand", {0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}, {}, 0.5, 2.0, true};
    // Predicted positive: only 0.8. TP 1, FP 0, FN 1, TN 2.
    const double f2 = 5 * 1 * 0.5 / (4 * 1 + 0.5);
    const double ll = -(std::log(0.9) + std::log(0.6) + std::log(0.35) + std::log(0.8)) / 4;
    check_list(c.run(), named(kBinaryNames, {0.75, 1.0, 0.5, f2, 0.75, ll}), "unweighted");

    // Weights 1,2,1,3. Pairs (pos, neg): 0.35>0.1 (1), 0.35<0.4 (2), 0.8>0.1 (3), 0.8>0.4 (6).
    c.weight = {1, 2, 1, 3};
    c.beta = 1;
    const double wll = -(std::log(0.9) + 2 * std::log(0.6) + std::log(0.35) + 3 * std::log(0.8)) / 7;
    check_list(c.run(), named(kBinaryNames, {6.0 / 7, 1.0, 0.75, 6.0 / 7, 10.0 / 12, wll}),
               "weighted");

    // A tie across classes counts 1/2: pairs 1 + 1/2 + 1 + 1 out of 4.
    const BinaryCase tie{"tie", {0.2, 0.6, 0.6, 0.9}, {0, 0, 1, 1}, {}, 0.5, 1.0, false};
    const MetricList m = tie.run();
    REQUIRE(m.size() == 5);  // a margin has no log_loss
    check_close(m[4].value, 0.875, "tied auc");
    check_close(linlearn::roc_auc(as_vec(tie.score), tie.label.data(), nullptr), 0.875, "roc_auc");
    // Predicted positive: 0.6, 0.6, 0.9. TP 2, FP 1, FN 0.
    check_list(m, named({kBinaryNames.begin(), kBinaryNames.end() - 1},
                        {0.75, 2.0 / 3, 1.0, 0.8, 0.875}), "tie");
}

TEST_CASE("metrics: binary, edge cases") {
    SUBCASE("one class only: AUC NaN, the rest defined") {
        const BinaryCase c{"one", {0.2, 0.7, 0.9}, {1, 1, 1}, {}, 0.5, 1.0, true};
        const MetricList m = c.run();
        CHECK(std::isnan(m[4].value));
        check_list(m, binary_reference(c), "one class");
        check_close(m[1].value, 1.0, "precision");
        check_close(m[2].value, 2.0 / 3, "recall");
    }
    SUBCASE("no positive prediction: precision and F are 0") {
        const BinaryCase c{"none", {-2, -1, -0.5}, {0, 1, 1}, {}, 0.0, 1.0, false};
        check_list(c.run(), named({kBinaryNames.begin(), kBinaryNames.end() - 1},
                                  {1.0 / 3, 0.0, 0.0, 0.0, 1.0}), "no positive prediction");
    }
    SUBCASE("no positive label: recall and F are 0") {
        const BinaryCase c{"nolabel", {0.9, 0.1}, {0, 0}, {}, 0.5, 1.0, true};
        const MetricList m = c.run();
        check_close(m[1].value, 0.0, "precision");
        check_close(m[2].value, 0.0, "recall");
        check_close(m[3].value, 0.0, "f");
        CHECK(std::isnan(m[4].value));
    }
    SUBCASE("all scores tied: AUC 1/2") {
        const BinaryCase c{"ties", {0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 1}, {2, 1, 3, 4}, 0.5, 1, true};
        check_list(c.run(), named(kBinaryNames, {0.5, 0.0, 0.0, 0.0, 0.5, std::log(2.0)}), "ties");
    }
    SUBCASE("probabilities 0 and 1 are clipped at 1e-15") {
        const BinaryCase c{"clip", {0.0, 1.0}, {1, 0}, {}, 0.5, 1, true};
        const double expected = -(std::log(1e-15) + std::log(1 - (1 - 1e-15))) / 2;
        check_close(c.run()[5].value, expected, "clipped log loss");
    }
    SUBCASE("n == 0: every value NaN") {
        for (bool prob : {true, false}) {
            const BinaryCase c{"empty", {}, {}, {}, 0.5, 1, prob};
            const MetricList m = c.run();
            CHECK(m.size() == (prob ? 6u : 5u));
            for (const auto& v : m) CHECK_MESSAGE(std::isnan(v.value), v.name);
        }
        CHECK(std::isnan(linlearn::roc_auc(Vec(), nullptr, nullptr)));
    }
}

TEST_CASE("metrics: binary against brute force on random tied data") {
    for (unsigned seed = 100; seed < 160; ++seed) {
        const int n = seed % 3 == 0 ? 400 : 1 + static_cast<int>(seed % 40);
        const bool weighted = seed % 2 == 1, prob = seed % 5 != 0;
        const double beta = 0.5 + (seed % 4) * 0.5;
        const BinaryCase c = binary_case("random", seed, n, weighted, prob, prob ? 0.5 : 0.0, beta);
        check_list(c.run(), binary_reference(c), "seed " + std::to_string(seed));
    }
}

// ---- multiclass ------------------------------------------------------------------------------

MulticlassCase hand_multiclass(int classes) {
    // Row 2 ties classes 0 and 1: argmax says 0 (wrong), sklearn's top-k ranks 1 first (a hit
    // at k = 1), the dcg ranks it second. Rows: true->predicted 1->1, 1->0, 0->2, 0->0.
    Mat p = Mat::Zero(4, classes);
    p.leftCols(3) << 0.2, 0.5, 0.3,  //
        0.4, 0.4, 0.2,               //
        0.1, 0.3, 0.6,               //
        0.6, 0.3, 0.1;
    return {"hand", p, {1, 1, 0, 0}, {}, 2, 1.0};
}

TEST_CASE("metrics: multiclass, hand-computed case") {
    MulticlassCase c = hand_multiclass(3);
    // Per class (P, R, F1): 0 -> (1/2, 1/2, 1/2); 1 -> (1, 1/2, 2/3); 2 -> (0, 0, 0).
    // True-class ranks 1, 2, 3, 1; top-2 misses only row 3.
    const double dcg = (2 + 1 / std::log2(3.0) + 0.5) / 4;
    const double ll = -(std::log(0.5) + std::log(0.4) + std::log(0.1) + std::log(0.6)) / 4;
    check_list(c.run(), named(kMulticlassNames, {0.5, 0.75, 0.5, 1.0 / 3, 7.0 / 18, 0.5, dcg, ll}),
               "k=2");
    c.k = 1;  // the tie rule: row 2 is a top-1 hit though it is no argmax hit
    check_close(c.run()[1].value, 0.75, "top-1");
    c.k = 7;  // clamped to K: every row hits
    check_close(c.run()[1].value, 1.0, "top-7");
    c.k = 0;  // clamped to 1
    check_close(c.run()[1].value, 0.75, "top-0");

    c.k = 2;
    c.weight = {1, 3, 2, 2};  // class 0: P 2/5, R 1/2; class 1: P 1, R 1/4
    const MetricList m = c.run();
    check_close(m[0].value, 3.0 / 8, "weighted accuracy");
    check_close(m[2].value, (0.4 + 1.0) / 3, "weighted macro precision");
    check_close(m[3].value, (0.5 + 0.25) / 3, "weighted macro recall");
    check_close(m[5].value, (0.5 + 0.25) / 2, "weighted balanced accuracy");
}

TEST_CASE("metrics: multiclass, edge cases") {
    SUBCASE("a class absent from the data still counts in the macro averages") {
        const MulticlassCase c = hand_multiclass(5);  // classes 3 and 4: probability 0, no label
        const double dcg = (2 + 1 / std::log2(3.0) + 0.5) / 4;
        const double ll = -(std::log(0.5) + std::log(0.4) + std::log(0.1) + std::log(0.6)) / 4;
        check_list(c.run(), named(kMulticlassNames,
                                  {0.5, 0.75, 1.5 / 5, 1.0 / 5, (7.0 / 6) / 5, 0.5, dcg, ll}),
                   "absent classes");
    }
    SUBCASE("zero probability of the true class is clipped at 1e-15") {
        Mat p(1, 2);
        p << 1.0, 0.0;
        const float y = 1;
        check_close(linlearn::multiclass_metrics(p, &y, nullptr, 1, 1)[7].value,
                    -std::log(1e-15), "clipped");
    }
    SUBCASE("a label that is no class index throws") {
        const Mat p = Mat::Constant(1, 3, 1.0 / 3);
        for (float y : {3.0f, -1.0f, 0.5f, std::numeric_limits<float>::quiet_NaN()})
            CHECK_THROWS_AS(linlearn::multiclass_metrics(p, &y, nullptr, 1, 1), linlearn::Error);
    }
    SUBCASE("n == 0: every value NaN") {
        const MetricList m = linlearn::multiclass_metrics(Mat(0, 3), nullptr, nullptr, 1, 1);
        CHECK(m.size() == kMulticlassNames.size());
        for (const auto& v : m) CHECK_MESSAGE(std::isnan(v.value), v.name);
    }
}

TEST_CASE("metrics: multiclass against brute force on random tied data") {
    for (unsigned seed = 200; seed < 240; ++seed) {
        const int n = seed % 4 == 0 ? 300 : 1 + static_cast<int>(seed % 30);
        const int classes = 2 + static_cast<int>(seed % 5);
        const int labelled = seed % 3 == 0 ? std::max(1, classes - 1) : classes;
        const MulticlassCase c = multiclass_case("random", seed, n, classes, labelled, seed % 2 == 1,
                                                 1 + static_cast<int>(seed % 4), 0.5 * (seed % 5));
        check_list(c.run(), multiclass_reference(c), "seed " + std::to_string(seed));
    }
}

// ---- regression ------------------------------------------------------------------------------

TEST_CASE("metrics: regression, hand-computed and edge cases") {
    // Errors 0, -1, 1, -2; label mean 3, SS_tot 4 + 0 + 1 + 9 = 14, SS_res 6.
    RegressionCase c{"hand", {1, 2, 3, 4}, {1, 3, 2, 6}, {}};
    check_list(c.run(), named(kRegressionNames, {1.5, std::sqrt(1.5), 1.0, 1 - 6.0 / 14}),
               "hand");

    // Constant labels whose weighted mean is inexact (0.1f with weights 0.1, 0.7, 0.3): SS_tot
    // is 0, so r2 is 1 for a perfect fit and 0 otherwise, never rounding noise.
    RegressionCase flat{"flat", {0.1f, 0.1f, 0.1f}, {0.1f, 0.1f, 0.1f}, {0.1f, 0.7f, 0.3f}};
    check_close(flat.run()[3].value, 1.0, "constant labels, perfect");
    flat.pred[1] = 2;
    check_close(flat.run()[3].value, 0.0, "constant labels, imperfect");
    CHECK(flat.run()[0].value > 0);

    const MetricList empty = RegressionCase{"empty", {}, {}, {}}.run();
    CHECK(empty.size() == kRegressionNames.size());
    for (const auto& v : empty) CHECK_MESSAGE(std::isnan(v.value), v.name);
}

TEST_CASE("metrics: regression against brute force on random data") {
    for (unsigned seed = 300; seed < 330; ++seed) {
        const int n = seed % 3 == 0 ? 300 : 1 + static_cast<int>(seed % 20);
        const RegressionCase c = regression_case("random", seed, n, seed % 2 == 1);
        check_list(c.run(), regression_reference(c), "seed " + std::to_string(seed));
    }
}

// ---- scikit-learn ----------------------------------------------------------------------------

TEST_CASE("metrics: agreement with scikit-learn") {
    const Suite suite = sklearn_suite();
    const Table mine = ours(suite);
    size_t values = 0;
    for (const auto& entry : mine) values += entry.second.size();
    REQUIRE(values == 41);

    if (sklearn_available()) {
        MESSAGE("metrics: comparing with scikit-learn run live by " << kPython);
        const Table live = run_sklearn(suite);
        check_table(mine, live, "linlearn vs live sklearn");
        if (!check_table(live, kStoredSklearn, "stored table vs live sklearn"))
            MESSAGE("the stored table is stale; the live values are:\n" << table_source(live));
    } else {
        MESSAGE("metrics: " << kPython << " cannot import sklearn; comparing with the stored "
                               "scikit-learn 1.2.1 table");
        check_table(mine, kStoredSklearn, "linlearn vs stored sklearn");
    }
}

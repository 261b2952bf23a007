// The order of a vector of scores, highest first: what the threshold sweep of calibration
// and the ROC AUC walk. Every epoch sorts the scores of every model (bench/README.md,
// case 2), so large inputs use an LSD radix sort on the doubles' bits (O(n), stable).
#pragma once
#include <Eigen/Core>
#include <vector>

namespace linlearn {

// order ← the indices 0..n-1 sorted by score descending. Equal scores keep no particular
// order. NaN scores must be handled by the caller (they sort as the largest).
void order_descending(const Eigen::Ref<const Eigen::VectorXd>& score, std::vector<Eigen::Index>& order);

// The same order for scores that are a non-decreasing function f of float margins z
// (probabilities of them): sorts the 32-bit z (half the radix passes of the doubles), then
// checks that score = f(z) does not increase along it (a last-bit slip of f would break it)
// and falls back to sorting the scores if it does. NaN handling as above.
void order_descending(const Eigen::Ref<const Eigen::VectorXf>& z, const Eigen::Ref<const Eigen::VectorXd>& score,
                      std::vector<Eigen::Index>& order);

}  // namespace linlearn

/* Every test case, once: main.c runs them by name, and CMakeLists.txt registers one
 * ctest test per X(...) line below (it reads this file). */
#ifndef LINLEARN_CAPI_TESTS_H
#define LINLEARN_CAPI_TESTS_H

#define LL_CAPI_TESTS(X)            \
    X(versions)                     \
    X(fit_events)                   \
    X(struct_sizes)                 \
    X(dense_datasets)               \
    X(csr_datasets)                 \
    X(predict_binary)               \
    X(predict_multiclass)           \
    X(predict_regressor)            \
    X(buffer_too_small)             \
    X(save_load)                    \
    X(evaluate_json)                \
    X(null_arguments)               \
    X(free_null)                    \
    X(hyperparameter_errors)        \
    X(set_json)                     \
    X(dataset_errors)               \
    X(wrong_feature_count)          \
    X(bad_model_files)              \
    X(cancel_running_fit)           \
    X(cancel_handshake)             \
    X(callback_stops)               \
    X(last_error_is_thread_local)   \
    X(concurrent_predict)           \
    X(same_seed_same_model)         \
    X(alert_rules)                  \
    X(alert_never_applies)          \
    X(alert_errors)                 \
    X(run_start_model_params)       \
    X(model_selected_params)

#define LL_DECLARE_TEST(name) void test_##name(void);
LL_CAPI_TESTS(LL_DECLARE_TEST)
#undef LL_DECLARE_TEST

#endif
